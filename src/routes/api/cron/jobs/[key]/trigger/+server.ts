import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

/** Run now: a durable queued run any worker picks up, hence 202. */
export const POST: RequestHandler = apiRoute(async ({ params, locals }, actor) =>
	json({ execution: await locals.services.cron.trigger(params.key, 'api', actor) }, { status: 202 })
);

export const fallback: RequestHandler = methodNotAllowed('POST');
