/**
 * The job form's values as strings (what a form posts and what it is refilled with), shared by
 * the create and edit pages and the server's parser.
 */
import { POLICY_DEFAULTS } from '../names';

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

export const EMPTY_JOB_FORM: JobFormValues = {
	name: '',
	key: '',
	description: '',
	type: 'http',
	schedule: '',
	timezone: '',
	timeoutMs: String(POLICY_DEFAULTS.timeoutMs),
	maxRetries: String(POLICY_DEFAULTS.maxRetries),
	overlap: POLICY_DEFAULTS.overlap,
	catchUp: POLICY_DEFAULTS.catchUp,
	catchUpMaxAgeMs: String(POLICY_DEFAULTS.catchUpMaxAgeMs),
	enabled: POLICY_DEFAULTS.enabled,
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
