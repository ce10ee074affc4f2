import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed, positiveId } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

/**
 * Retries a failed (or timed-out, interrupted) run: a new manual run, attempt 1 with a fresh
 * retry budget, `retryOf` the failed one. 202 `{execution: {id, jobKey, status, retryOf}}`; 409
 * for a run that did not fail.
 */
export const POST: RequestHandler = apiRoute(async ({ params, locals }, actor) =>
	json({ execution: await locals.services.cron.retryExecution(positiveId(params.id), actor) }, { status: 202 })
);

export const fallback: RequestHandler = methodNotAllowed('POST');
