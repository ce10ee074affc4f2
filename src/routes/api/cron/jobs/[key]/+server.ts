import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, cron, methodNotAllowed } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = apiRoute(async ({ params }) => json({ job: await cron().getJob(params.key) }));

export const PATCH: RequestHandler = apiRoute(async ({ params, request }, actor) =>
	json({ job: await cron().updateJob(params.key, await readJson(request), actor) })
);

/** UI jobs only: the service answers 409 for a job declared in code. */
export const DELETE: RequestHandler = apiRoute(async ({ params }, actor) => {
	await cron().deleteJob(params.key, actor);
	return new Response(null, { status: 204 });
});

export const fallback: RequestHandler = methodNotAllowed('GET', 'PATCH', 'DELETE');
