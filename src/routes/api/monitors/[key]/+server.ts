import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import { monitorDeps } from '$lib/server/alerts/deps';
import { deleteMonitor, getMonitor, updateMonitor } from '$lib/server/monitors/monitors';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = apiRoute(async ({ params, locals }) => json({ monitor: await getMonitor(locals.services.sql, params.key) }));

export const PATCH: RequestHandler = apiRoute(async ({ params, request, locals }, actor) =>
	json({ monitor: await updateMonitor(monitorDeps(locals.services), params.key, await readJson(request), actor) })
);

export const DELETE: RequestHandler = apiRoute(async ({ params, locals }, actor) => {
	await deleteMonitor(locals.services.sql, params.key, actor);
	return new Response(null, { status: 204 });
});

export const fallback: RequestHandler = methodNotAllowed('GET', 'PATCH', 'DELETE');
