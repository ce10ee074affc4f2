import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import { monitorDeps } from '$lib/server/alerts/deps';
import { regeneratePingUrl } from '$lib/server/monitors/monitors';
import type { RequestHandler } from './$types';

/** A new ping URL → `{monitor, pingUrl}` (shown this once); the old URL stops working. */
export const POST: RequestHandler = apiRoute(async ({ params, locals }, actor) => json(await regeneratePingUrl(monitorDeps(locals.services), params.key, actor)));

export const fallback: RequestHandler = methodNotAllowed('POST');
