import { handle, readJson } from '$lib/server/api/json';
import { methodNotAllowed } from '$lib/server/api/route';
import { endSession } from '$lib/server/devices/sessions';
import type { RequestHandler } from './$types';

/** 204, also for a session that had already ended; 404 for an unknown id (README, "Session API"). */
export const POST: RequestHandler = handle(async ({ request, locals }) => {
	await endSession(locals.services.sql, await readJson(request));
	return new Response(null, { status: 204 });
});

export const fallback: RequestHandler = methodNotAllowed('POST');
