import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed, queryOf } from '$lib/server/api/route';
import { beforeQuerySchema } from '$lib/schemas/alerts';
import { getMonitor, listFlips, listPings } from '$lib/server/monitors/monitors';
import type { RequestHandler } from './$types';

/** `?before=` → `{pings, nextBefore, flips}`: pings (with their bodies) newest first, and the latest status changes. */
export const GET: RequestHandler = apiRoute(async ({ params, url, locals }) => {
	const { sql } = locals.services;
	await getMonitor(sql, params.key);
	const { before } = beforeQuerySchema.parse(queryOf(url));
	const [pings, flips] = await Promise.all([listPings(sql, params.key, before), listFlips(sql, params.key)]);
	return json({ ...pings, flips });
});

export const fallback: RequestHandler = methodNotAllowed('GET');
