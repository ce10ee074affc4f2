import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import { createAccessKey, listAccessKeys } from '$lib/server/devices/keys';
import { runtime } from '$lib/server/runtime';
import type { RequestHandler } from './$types';

/** SPEC §8.3: the admin session cookie or the CRON_SECRET bearer; viewers only read. */
export const GET: RequestHandler = apiRoute(async () => json({ accessKeys: await listAccessKeys(runtime().database.sql) }));

/** 201 {id, key, prefix}: the plain key, this once (and emailed through the outbox with `email`). */
export const POST: RequestHandler = apiRoute(async ({ request }, actor) => {
	const { id, key, prefix } = await createAccessKey(runtime().database.sql, await readJson(request), actor);
	return json({ id, key, prefix }, { status: 201 });
});

export const fallback: RequestHandler = methodNotAllowed('GET', 'POST');
