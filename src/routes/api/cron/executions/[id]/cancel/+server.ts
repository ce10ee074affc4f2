import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed, positiveId } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

/** A queued or running run; a finished one is a 409. 202: a running handler stops shortly after. */
export const POST: RequestHandler = apiRoute(async ({ params, locals }, actor) =>
	json({ execution: await locals.services.cron.cancelExecution(positiveId(params.id), actor) }, { status: 202 })
);

export const fallback: RequestHandler = methodNotAllowed('POST');
