import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import { createAccessKey, listAccessKeys } from '$lib/server/devices/keys';
import type { RequestHandler } from './$types';

/** The admin session cookie or the CRON_SECRET bearer; viewers only read. */
export const GET: RequestHandler = apiRoute(async ({ locals }) => json({ accessKeys: await listAccessKeys(locals.services.sql) }));

/** 201 {id, key, prefix}: the plain key, this once (and emailed through the outbox with `email`). */
export const POST: RequestHandler = apiRoute(async ({ request, locals }, actor) => {
	const { id, key, prefix } = await createAccessKey(locals.services.sql, await readJson(request), actor);
	return json({ id, key, prefix }, { status: 201 });
});

export const fallback: RequestHandler = methodNotAllowed('GET', 'POST');
