import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, cron, methodNotAllowed } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = apiRoute(async () => json({ settings: await cron().settings() }));

export const PATCH: RequestHandler = apiRoute(async ({ request }, actor) =>
	json({ settings: await cron().updateSettings(await readJson(request), actor) })
);

export const fallback: RequestHandler = methodNotAllowed('GET', 'PATCH');
