import { json } from '@sveltejs/kit';
import { handle, readJson } from '$lib/server/api/json';
import { methodNotAllowed } from '$lib/server/api/route';
import { heartbeatSession } from '$lib/server/devices/sessions';
import { runtime } from '$lib/server/runtime';
import type { RequestHandler } from './$types';

/** SPEC §8.1: 200 {ok: true}, 409 session_terminated, 410 session_expired/session_revoked, 404. */
export const POST: RequestHandler = handle(async ({ request }) => {
	await heartbeatSession(runtime().database.sql, await readJson(request));
	return json({ ok: true });
});

export const fallback: RequestHandler = methodNotAllowed('POST');
