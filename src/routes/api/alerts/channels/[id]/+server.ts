import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import { deleteChannel, getChannel, updateChannel } from '$lib/server/alerts/channels';
import { channelDeps } from '$lib/server/alerts/deps';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = apiRoute(async ({ params, locals }) => json({ channel: await getChannel(locals.services.sql, params.id) }));

/** A webhook's `url` sent back masked (as GET shows it) keeps the stored one. */
export const PATCH: RequestHandler = apiRoute(async ({ params, request, locals }, actor) =>
	json({ channel: await updateChannel(channelDeps(locals.services), params.id, await readJson(request), actor) })
);

/** Also takes the channel out of every job, monitor and the default channels. */
export const DELETE: RequestHandler = apiRoute(async ({ params, locals }, actor) => {
	await deleteChannel(locals.services.sql, params.id, actor);
	return new Response(null, { status: 204 });
});

export const fallback: RequestHandler = methodNotAllowed('GET', 'PATCH', 'DELETE');
