import { handle, readJson } from '$lib/server/api/json';
import { methodNotAllowed } from '$lib/server/api/route';
import { endSession } from '$lib/server/devices/sessions';
import { runtime } from '$lib/server/runtime';
import type { RequestHandler } from './$types';

/** SPEC §8.1: 204, also for a session that had already ended; 404 for an unknown id. */
export const POST: RequestHandler = handle(async ({ request }) => {
	await endSession(runtime().database.sql, await readJson(request));
	return new Response(null, { status: 204 });
});

export const fallback: RequestHandler = methodNotAllowed('POST');
