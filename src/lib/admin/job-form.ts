/**
 * The job form's values as strings (what a form posts and what it is refilled with), shared by
 * the create and edit pages and the server's parser.
 */

export type JobFormValues = {
	name: string;
	key: string;
	description: string;
	type: string;
	schedule: string;
	/** Empty: follow the default zone. */
	timezone: string;
	timeoutMs: string;
	maxRetries: string;
	overlap: string;
	catchUp: string;
	catchUpMaxAgeMs: string;
	enabled: boolean;
	// type `http`
	url: string;
	method: string;
	/** One header per line, "Name: value". */
	headers: string;
	body: string;
	expectStatus: string;
	followRedirects: boolean;
};

export type JobFormErrors = Partial<Record<keyof JobFormValues | 'form', string>>;

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export const EMPTY_JOB_FORM: JobFormValues = {
	name: '',
	key: '',
	description: '',
	type: 'http',
	schedule: '',
	timezone: '',
	timeoutMs: '300000',
	maxRetries: '0',
	overlap: 'forbid',
	catchUp: 'once',
	catchUpMaxAgeMs: '86400000',
	enabled: true,
	url: '',
	method: 'GET',
	headers: '',
	body: '',
	expectStatus: '',
	followRedirects: true
};

/** Headers as the form shows them: one "Name: value" per line. */
export function headersToText(headers: unknown): string {
	if (!headers || typeof headers !== 'object') return '';
	return Object.entries(headers as Record<string, unknown>)
		.map(([k, v]) => `${k}: ${String(v)}`)
		.join('\n');
}
