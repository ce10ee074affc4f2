import { json } from '@sveltejs/kit';
import { apiRoute, cron, methodNotAllowed, positiveId } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = apiRoute(async ({ params }) =>
	json({ execution: await cron().getExecution(positiveId(params.id)) })
);

export const fallback: RequestHandler = methodNotAllowed('GET');
