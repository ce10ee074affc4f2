import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import { monitorDeps } from '$lib/server/alerts/deps';
import { createMonitor, listMonitors } from '$lib/server/monitors/monitors';
import type { RequestHandler } from './$types';

/** Push monitors (README.md#push-monitors). */
export const GET: RequestHandler = apiRoute(async ({ locals }) => json({ monitors: await listMonitors(locals.services.sql) }));

/** 201 `{monitor, pingUrl}`: the ping URL is shown this once (only its hash is stored). */
export const POST: RequestHandler = apiRoute(async ({ request, locals }, actor) => json(await createMonitor(monitorDeps(locals.services), await readJson(request), actor), { status: 201 }));

export const fallback: RequestHandler = methodNotAllowed('GET', 'POST');
