import { json } from '@sveltejs/kit';
import { handle, readJson } from '$lib/server/api/json';
import { methodNotAllowed } from '$lib/server/api/route';
import { heartbeatSession } from '$lib/server/devices/sessions';
import type { RequestHandler } from './$types';

/** 200 {ok: true}, 409 session_terminated, 410 session_expired/session_revoked, 404 (README, "Session API"). */
export const POST: RequestHandler = handle(async ({ request, locals }) => {
	await heartbeatSession(locals.services.sql, await readJson(request));
	return json({ ok: true });
});

export const fallback: RequestHandler = methodNotAllowed('POST');
