/**
 * The job form (create and edit) to the service's input, and the service's errors back to
 * the form's fields: `params.url` is the URL field, `params.headers.X` the headers box.
 */
import { fail } from '@sveltejs/kit';
import { argvToText, EMPTY_JOB_FORM, envToText, headersToText, type JobFormErrors, type JobFormValues } from '../../admin/job-form';
import { HEADER_NAME } from '../cron/http-job';
import type { JobView } from '../cron/job-view';
import { serviceFailure } from '../forms';

const TEXT_FIELDS = [
	'name',
	'key',
	'description',
	'type',
	'schedule',
	'timezone',
	'timeoutMs',
	'maxRetries',
	'overlap',
	'catchUp',
	'catchUpMaxAgeMs',
	'url',
	'method',
	'headers',
	'body',
	'expectStatus',
	'argv',
	'cwd',
	'env',
	'stdin',
	'killGraceMs'
] as const satisfies readonly (keyof JobFormValues)[];

export function readJobForm(data: FormData): JobFormValues {
	const values: JobFormValues = { ...EMPTY_JOB_FORM };
	for (const f of TEXT_FIELDS) {
		const v = data.get(f);
		values[f] = typeof v === 'string' ? v : '';
	}
	values.enabled = data.has('enabled');
	values.followRedirects = data.has('followRedirects');
	return values;
}

/** The form's values for an existing job (the edit form starts from these). */
export function jobFormValues(job: JobView): JobFormValues {
	const p = job.params;
	const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
	return {
		name: job.name,
		key: job.key,
		description: job.description,
		type: job.type,
		schedule: job.schedule,
		timezone: job.timezoneOverride ?? '',
		timeoutMs: String(job.timeoutMs),
		maxRetries: String(job.maxRetries),
		overlap: job.overlap,
		catchUp: job.catchUp,
		catchUpMaxAgeMs: String(job.catchUpMaxAgeMs),
		enabled: job.enabled,
		url: str(p.url),
		method: str(p.method) || 'GET',
		headers: headersToText(p.headers),
		body: str(p.body),
		expectStatus: str(p.expectStatus),
		followRedirects: p.followRedirects !== false,
		argv: argvToText(p.argv),
		cwd: str(p.cwd),
		env: envToText(p.env),
		stdin: str(p.stdin),
		killGraceMs: str(p.killGraceMs)
	};
}

/** A number field: empty is absent; anything else is handed to the schema as a number (NaN fails there, naming the field). */
const num = (v: string): number | undefined => (v.trim() === '' ? undefined : Number(v.trim()));

export class FormFieldError extends Error {
	constructor(
		readonly field: keyof JobFormValues,
		message: string
	) {
		super(message);
	}
}

export function parseHeaders(text: string): Record<string, string> {
	const out: Record<string, string> = {};
	text.split(/\r?\n/).forEach((line, i) => {
		if (!line.trim()) return;
		const at = line.indexOf(':');
		const name = at > 0 ? line.slice(0, at).trim() : '';
		if (!HEADER_NAME.test(name)) throw new FormFieldError('headers', `line ${i + 1} must look like "Name: value"`);
		out[name] = line.slice(at + 1).trim();
	});
	return out;
}

/** A JSON value typed into a box that also takes lines; its own syntax error names the field. */
function json(field: keyof JobFormValues, text: string): unknown {
	try {
		return JSON.parse(text);
	} catch (err) {
		throw new FormFieldError(field, `is not valid JSON (${(err as Error).message})`);
	}
}

/** argv: one argument per line (verbatim, trailing empty lines ignored), or a JSON array of strings. */
export function parseArgv(text: string): unknown {
	if (text.trimStart().startsWith('[')) return json('argv', text);
	const lines = text.split(/\r?\n/);
	while (lines.length && lines[lines.length - 1] === '') lines.pop();
	return lines;
}

/** env: one "NAME=value" per line (the value may hold "="), or a JSON object of strings. */
export function parseEnv(text: string): Record<string, unknown> | unknown {
	if (text.trimStart().startsWith('{')) return json('env', text);
	const out: Record<string, string> = {};
	text.split(/\r?\n/).forEach((line, i) => {
		if (!line.trim()) return;
		const at = line.indexOf('=');
		if (at <= 0) throw new FormFieldError('env', `line ${i + 1} must look like "NAME=value"`);
		out[line.slice(0, at).trim()] = line.slice(at + 1);
	});
	return out;
}

function commandParams(v: JobFormValues): Record<string, unknown> {
	return {
		argv: parseArgv(v.argv),
		...(v.cwd.trim() !== '' ? { cwd: v.cwd.trim() } : {}),
		...(v.env.trim() !== '' ? { env: parseEnv(v.env) } : {}),
		...(v.stdin !== '' ? { stdin: v.stdin } : {}),
		...(v.killGraceMs.trim() !== '' ? { killGraceMs: num(v.killGraceMs) } : {})
	};
}

/** The params of a UI job of `type`, from the form's fields of that type (none for a type the form has no fields for). */
function paramsOf(v: JobFormValues, type: string): Record<string, unknown> | undefined {
	if (type === 'http') return httpParams(v);
	if (type === 'command') return commandParams(v);
	return undefined;
}

function httpParams(v: JobFormValues): Record<string, unknown> {
	return {
		url: v.url.trim(),
		method: v.method || 'GET',
		headers: parseHeaders(v.headers),
		...(v.body !== '' ? { body: v.body } : {}),
		...(v.expectStatus.trim() !== '' ? { expectStatus: num(v.expectStatus) } : {}),
		followRedirects: v.followRedirects
	};
}

const policies = (v: JobFormValues) => ({
	timeoutMs: num(v.timeoutMs),
	maxRetries: num(v.maxRetries),
	overlap: v.overlap || undefined,
	catchUp: v.catchUp || undefined,
	catchUpMaxAgeMs: num(v.catchUpMaxAgeMs)
});

/** The create payload of the service (the REST API's shape: README, "REST API"). */
export function createInput(v: JobFormValues): Record<string, unknown> {
	return {
		key: v.key.trim(),
		name: v.name,
		description: v.description,
		type: v.type,
		params: paramsOf(v, v.type) ?? {},
		schedule: v.schedule,
		timezone: v.timezone.trim() || null,
		enabled: v.enabled,
		...policies(v)
	};
}

const withParams = (params: Record<string, unknown> | undefined) => (params === undefined ? {} : { params });

/** The update payload: code jobs keep their name, description and params (code owns them). */
export function updateInput(v: JobFormValues, job: Pick<JobView, 'source' | 'type'>): Record<string, unknown> {
	return {
		schedule: v.schedule,
		timezone: v.timezone.trim() || null,
		enabled: v.enabled,
		...policies(v),
		...(job.source === 'ui' ? { name: v.name, description: v.description, ...withParams(paramsOf(v, job.type)) } : {})
	};
}

/** A service path (`params.headers.X-Y`, `timeoutMs`) to the form field that shows it. */
function fieldOf(path: string): keyof JobFormValues | 'form' {
	const [head, sub] = path.split('.');
	const field = head === 'params' ? sub : head;
	return field && field in EMPTY_JOB_FORM ? (field as keyof JobFormValues) : 'form';
}

/** A validation failure of the job form: 400 (or the service's status), every error next to its field, the values kept. */
export function jobFormFailure(err: unknown, values: JobFormValues) {
	if (err instanceof FormFieldError) {
		const errors: JobFormErrors = { [err.field]: err.message };
		return fail(400, { message: `${err.field}: ${err.message}`, errors, values });
	}
	return serviceFailure<{ values: JobFormValues }>(err, { field: fieldOf, unplaced: 'form', data: { values } });
}
