import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed, queryOf } from '$lib/server/api/route';
import { listNotifications } from '$lib/server/alerts/notifications';
import { beforeQuerySchema } from '$lib/schemas/alerts';
import type { RequestHandler } from './$types';

/** `?before=` → `{notifications, nextBefore}`, newest first, with their delivery. */
export const GET: RequestHandler = apiRoute(async ({ url, locals }) => {
	const { before } = beforeQuerySchema.parse(queryOf(url));
	return json(await listNotifications(locals.services.sql, before));
});

export const fallback: RequestHandler = methodNotAllowed('GET');
