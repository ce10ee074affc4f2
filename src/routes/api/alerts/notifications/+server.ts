import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed, queryOf } from '$lib/server/api/route';
import { listNotifications } from '$lib/server/alerts/notifications';
import { beforeQuerySchema } from '$lib/schemas/alerts';
import { runtime } from '$lib/server/runtime';
import type { RequestHandler } from './$types';

/** `?before=` → `{notifications, nextBefore}`, newest first, with their delivery. */
export const GET: RequestHandler = apiRoute(async ({ url }) => {
	const { before } = beforeQuerySchema.parse(queryOf(url));
	return json(await listNotifications(runtime().database.sql, before));
});

export const fallback: RequestHandler = methodNotAllowed('GET');
