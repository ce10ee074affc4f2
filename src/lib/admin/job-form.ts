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
	// type `command`
	/** One argument per line, verbatim: the first line is the program. */
	argv: string;
	cwd: string;
	/** One variable per line, "NAME=value". */
	env: string;
	stdin: string;
	killGraceMs: string;
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
	followRedirects: true,
	argv: '',
	cwd: '',
	env: '',
	stdin: '',
	killGraceMs: ''
};

/** Headers as the form shows them: one "Name: value" per line. */
export function headersToText(headers: unknown): string {
	if (!headers || typeof headers !== 'object') return '';
	return Object.entries(headers as Record<string, unknown>)
		.map(([k, v]) => `${k}: ${String(v)}`)
		.join('\n');
}

/** A value that one line per item cannot carry (a line break in it): such a list is shown as JSON. */
const multiline = (v: unknown) => /[\r\n]/.test(String(v));

/**
 * A command's env as the form shows it: one "NAME=value" per line, or a JSON object when a
 * value holds a line break (the form reads both).
 */
export function envToText(env: unknown): string {
	if (!env || typeof env !== 'object') return '';
	const entries = Object.entries(env as Record<string, unknown>);
	if (entries.some(([, v]) => multiline(v))) return JSON.stringify(env, null, 2);
	return entries.map(([k, v]) => `${k}=${String(v)}`).join('\n');
}

/**
 * A command's argv as the form shows it: one argument per line, or a JSON array when an
 * argument holds a line break or the program's name starts with "[" (the form reads both).
 */
export function argvToText(argv: unknown): string {
	if (!Array.isArray(argv)) return '';
	if (argv.some(multiline) || String(argv[0] ?? '').startsWith('[')) return JSON.stringify(argv);
	return argv.map(String).join('\n');
}
