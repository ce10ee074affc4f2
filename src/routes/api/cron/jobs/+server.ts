import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = apiRoute(async ({ locals }) => json({ jobs: await locals.services.cron.listJobs() }));

export const POST: RequestHandler = apiRoute(async ({ request, locals }, actor) =>
	json({ job: await locals.services.cron.createJob(await readJson(request), actor) }, { status: 201 })
);

export const fallback: RequestHandler = methodNotAllowed('GET', 'POST');
