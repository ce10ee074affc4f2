import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed, queryOf } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

/** Runs of every job: `?job=` narrows to one, then as /jobs/{key}/executions. */
export const GET: RequestHandler = apiRoute(async ({ url, locals }) => {
	const { job, ...query } = queryOf(url);
	return json(await locals.services.cron.listExecutions({ jobKey: job }, query));
});

export const fallback: RequestHandler = methodNotAllowed('GET');
