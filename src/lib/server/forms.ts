/**
 * What every page's load and actions share: a posted form and a query string as plain
 * objects, and a service's refusal (a ServiceError) as a form failure that keeps its status
 * (400, 404, 409 …) and puts each issue beside its field.
 */
import { fail } from '@sveltejs/kit';
import { ServiceError } from './errors';

/** The posted form's text fields (files are ignored). */
export async function formObject(request: Request): Promise<Record<string, string>> {
	const out: Record<string, string> = {};
	for (const [k, v] of await request.formData()) if (typeof v === 'string') out[k] = v;
	return out;
}

/** The query string as an object; empty values (`?status=`, a filter left at "any") count as absent. */
export function queryObject(params: URLSearchParams): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of params) if (v !== '') out[k] = v;
	return out;
}

export type FailureOptions<D extends Record<string, unknown>> = {
	/** Which of the page's forms failed, on pages with several. */
	action?: string;
	/** The form field that shows an issue of this path (default: the path itself). */
	field?: (path: string) => string;
	/** Where an error without issues is shown, if beside a field too (e.g. `form`). */
	unplaced?: string;
	/**
	 * The alert's text: the error's message, which names the field (`label: must be at most 100
	 * characters`), or, for forms whose messages are sentences, the first issue's alone.
	 */
	message?: 'error' | 'issue';
	/** More of the failure's data (the submitted values, to refill the form). */
	data?: D;
};

/** A ServiceError as a form failure; anything else is rethrown (an unexpected error is a 500). */
export function serviceFailure<D extends Record<string, unknown> = Record<never, never>>(err: unknown, opts: FailureOptions<D> = {}) {
	if (!(err instanceof ServiceError)) throw err;
	const errors: Record<string, string> = {};
	for (const issue of err.issues) errors[opts.field ? opts.field(issue.path) : issue.path] ??= issue.message;
	if (!err.issues.length && opts.unplaced) errors[opts.unplaced] = err.message;
	const message = opts.message === 'issue' && err.issues[0] ? err.issues[0].message : err.message;
	return fail(err.status, { ...(opts.action === undefined ? {} : { action: opts.action }), message, errors, ...(opts.data ?? ({} as D)) });
}
