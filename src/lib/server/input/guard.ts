/**
 * The input guard (a hook, before any load, action or endpoint): text in the URL and in form
 * bodies that cannot be stored (NUL, unpaired surrogates), form bodies that cannot be parsed
 * (malformed multipart) and form bodies that stall are answered with a 4xx naming the field,
 * never a 500 from deeper down or a request held open. JSON bodies are checked where they are
 * parsed (api/json.ts), so the API and the heartbeat fast path answer alike.
 */
import { error, json, type Handle, type RequestEvent } from '@sveltejs/kit';
import { readBody } from '../api/json';
import { ServiceError, type ErrorIssue } from '../errors';
import { textProblem } from './text';

const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);
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

const isForm = (request: Request) => FORM_TYPES.has(request.headers.get('content-type')?.split(';', 1)[0]!.trim().toLowerCase() ?? '');

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

/**
 * The refusal in the form the client expects: the API's error shape under /api, an enhanced
 * form's action result (`{type: 'error'}`, as SvelteKit answers an error thrown in an action),
 * else the error page.
 */
function answer(event: RequestEvent, err: ServiceError): Response {
	const headers = { 'cache-control': 'no-store', ...(err.status === 408 ? { connection: 'close' } : {}) };
	if (event.url.pathname.startsWith('/api/')) return json(err.toJSON(), { status: err.status, headers });
	if (event.request.headers.get('x-sveltekit-action') === 'true') {
		return json({ type: 'error', error: { message: err.message, code: err.code } }, { status: err.status, headers });
	}
	// A stalled body: the request never completed, so the connection is closed after the answer.
	if (err.status === 408) return new Response(`${err.message}\n`, { status: 408, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' } });
	error(err.status, { message: err.message, code: err.code });
}

export const inputGuard: Handle = async ({ event, resolve }) => {
	const problem =
		urlProblem(event) ??
		(!BODYLESS.has(event.request.method) && !event.url.pathname.startsWith('/api/') && isForm(event.request) ? await formProblem(event.request) : null);
	return problem ? answer(event, problem) : resolve(event);
};
