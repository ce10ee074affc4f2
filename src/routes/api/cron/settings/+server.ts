import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = apiRoute(async ({ locals }) => json({ settings: await locals.services.cron.settings() }));

export const PATCH: RequestHandler = apiRoute(async ({ request, locals }, actor) =>
	json({ settings: await locals.services.cron.updateSettings(await readJson(request), actor) })
);

export const fallback: RequestHandler = methodNotAllowed('GET', 'PATCH');
