/**
 * The job form (create and edit) to the service's input, and the service's errors back to
 * the form's fields: `params.url` is the URL field, `params.headers.X` the headers box.
 */
import { fail } from '@sveltejs/kit';
import { EMPTY_JOB_FORM, headersToText, type JobFormErrors, type JobFormValues } from '../../admin/job-form';
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
	'expectStatus'
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
		followRedirects: p.followRedirects !== false
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
		params: v.type === 'http' ? httpParams(v) : {},
		schedule: v.schedule,
		timezone: v.timezone.trim() || null,
		enabled: v.enabled,
		...policies(v)
	};
}

/** The update payload: code jobs keep their name, description and params (code owns them). */
export function updateInput(v: JobFormValues, job: Pick<JobView, 'source' | 'type'>): Record<string, unknown> {
	return {
		schedule: v.schedule,
		timezone: v.timezone.trim() || null,
		enabled: v.enabled,
		...policies(v),
		...(job.source === 'ui' ? { name: v.name, description: v.description, ...(job.type === 'http' ? { params: httpParams(v) } : {}) } : {})
	};
}

/** A service path (`params.headers.X-Y`, `timeoutMs`) to the form field that shows it. */
function fieldOf(path: string): keyof JobFormValues | 'form' {
	const [head, sub] = path.split('.');
	const field = head === 'params' ? (sub ?? 'url') : head;
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
