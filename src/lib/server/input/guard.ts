/**
 * What the input guard (src/hooks/input-guard.ts) refuses before any load, action or
 * endpoint: text in the URL and in form bodies that cannot be stored (NUL, unpaired
 * surrogates), form bodies that cannot be parsed (malformed multipart) and form bodies that
 * stall, each as a 4xx naming the field, never a 500 from deeper down or a request held open.
 * JSON bodies are checked where they are parsed (api/json.ts), so the API and the heartbeat
 * fast path answer alike.
 */
import type { RequestEvent } from '@sveltejs/kit';
import { readBody } from '../api/json';
import { ServiceError, type ErrorIssue } from '../errors';
import { textProblem } from './text';

const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
/** Forms are small; adapter-node's BODY_SIZE_LIMIT bounds them anyway. */
const FORM_LIMIT = 2 * 1024 * 1024;

const refusal = (status: number, issue: ErrorIssue) => new ServiceError(status, status === 400 ? 'invalid_input' : 'bad_request', `${issue.path}: ${issue.message}`, [issue]);

function decodeSegment(segment: string): string | null {
	try {
		return decodeURIComponent(segment);
	} catch {
		return null;
	}
}

/** A problem with the route's parameters or the query string, naming the parameter. */
export function urlProblem(event: Pick<RequestEvent, 'url' | 'params'>): ServiceError | null {
	for (const [name, value] of Object.entries(event.params)) {
		const problem = value === undefined ? null : textProblem(value);
		if (problem) return refusal(400, { path: name, message: problem });
	}
	for (const segment of event.url.pathname.split('/')) {
		const decoded = decodeSegment(segment);
		if (decoded === null) return refusal(400, { path: 'path', message: 'is not valid percent-encoded UTF-8' });
		const problem = textProblem(decoded);
		if (problem) return refusal(400, { path: 'path', message: problem });
	}
	for (const [name, value] of event.url.searchParams) {
		const problem = textProblem(name) ?? textProblem(value);
		if (problem) return refusal(400, { path: textProblem(name) ? '(query)' : name, message: problem });
	}
	return null;
}

export const isForm = (request: Request) => FORM_TYPES.has(request.headers.get('content-type')?.split(';', 1)[0]!.trim().toLowerCase() ?? '');

/**
 * A problem with a form body: unreadable or stalled (its status), not a form (400), or a field
 * with text that cannot be stored (400 naming it). Reads a copy: the action reads the original.
 */
export async function formProblem(request: Request): Promise<ServiceError | null> {
	let bytes: Uint8Array;
	try {
		bytes = await readBody(request.clone(), FORM_LIMIT);
	} catch (err) {
		if (err instanceof ServiceError) return err;
		throw err;
	}
	let form: FormData;
	try {
		form = await new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': request.headers.get('content-type')! } }).formData();
	} catch {
		return refusal(400, { path: '(body)', message: 'is not a well-formed form body' });
	}
	for (const [name, value] of form) {
		const problem = textProblem(name) ?? (typeof value === 'string' ? textProblem(value) : textProblem(value.name));
		if (problem) return refusal(400, { path: textProblem(name) ? '(body)' : name, message: problem });
	}
	return null;
}
