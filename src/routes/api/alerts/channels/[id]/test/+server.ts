import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

/** Sends a `test` notification now → `{notification}` with its status (`delivered` or `failed` and why). */
export const POST: RequestHandler = apiRoute(async ({ params, locals }) => json({ notification: await locals.services.alerts.sendTest(params.id) }));

export const fallback: RequestHandler = methodNotAllowed('POST');
