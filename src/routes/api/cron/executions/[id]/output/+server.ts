import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed, positiveId, queryOf } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

/** The run's output from byte `offset` on, live while it runs: `{output, offset, done}`. */
export const GET: RequestHandler = apiRoute(async ({ params, url, locals }) =>
	json(await locals.services.cron.executionOutput(positiveId(params.id), queryOf(url)))
);

export const fallback: RequestHandler = methodNotAllowed('GET');
