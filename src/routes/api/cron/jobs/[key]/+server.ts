import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = apiRoute(async ({ params, locals }) => json({ job: await locals.services.cron.getJob(params.key) }));

export const PATCH: RequestHandler = apiRoute(async ({ params, request, locals }, actor) =>
	json({ job: await locals.services.cron.updateJob(params.key, await readJson(request), actor) })
);

/** UI jobs only: the service answers 409 for a job declared in code. */
export const DELETE: RequestHandler = apiRoute(async ({ params, locals }, actor) => {
	await locals.services.cron.deleteJob(params.key, actor);
	return new Response(null, { status: 204 });
});

export const fallback: RequestHandler = methodNotAllowed('GET', 'PATCH', 'DELETE');
