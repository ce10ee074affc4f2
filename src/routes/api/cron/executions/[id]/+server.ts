import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed, positiveId } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = apiRoute(async ({ params, locals }) =>
	json({ execution: await locals.services.cron.getExecution(positiveId(params.id)) })
);

export const fallback: RequestHandler = methodNotAllowed('GET');
