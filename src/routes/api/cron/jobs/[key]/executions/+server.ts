import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed, queryOf } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

/** `?status=&trigger=&cursor=&limit=` → `{executions, nextCursor}` (keyset pagination). */
export const GET: RequestHandler = apiRoute(async ({ params, url, locals }) =>
	json(await locals.services.cron.listExecutions({ jobKey: params.key }, queryOf(url)))
);

export const fallback: RequestHandler = methodNotAllowed('GET');
