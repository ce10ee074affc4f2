/**
 * The input guard: a URL or form body that cannot be handled is refused (400, 408) before
 * anything reads it. What counts: lib/server/input/guard.ts.
 */
import { error, json, type Handle, type RequestEvent } from '@sveltejs/kit';
import type { ServiceError } from '$lib/server/errors';
import { formProblem, isForm, urlProblem } from '$lib/server/input/guard';

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
