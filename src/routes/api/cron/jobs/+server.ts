import { json } from '@sveltejs/kit';
import { readJson } from '$lib/server/api/json';
import { apiRoute, cron, methodNotAllowed } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = apiRoute(async () => json({ jobs: await cron().listJobs() }));

export const POST: RequestHandler = apiRoute(async ({ request }, actor) =>
	json({ job: await cron().createJob(await readJson(request), actor) }, { status: 201 })
);

export const fallback: RequestHandler = methodNotAllowed('GET', 'POST');
