import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import { createChannel, listChannels } from '$lib/server/alerts/channels';
import { channelDeps } from '$lib/server/alerts/deps';
import type { RequestHandler } from './$types';

/** Notification channels (README.md#alerts-and-monitors); webhook URLs come masked. */
export const GET: RequestHandler = apiRoute(async ({ locals }) => json({ channels: await listChannels(locals.services.sql) }));

export const POST: RequestHandler = apiRoute(async ({ request, locals }, actor) =>
	json({ channel: await createChannel(channelDeps(locals.services), await readJson(request), actor) }, { status: 201 })
);

export const fallback: RequestHandler = methodNotAllowed('GET', 'POST');
