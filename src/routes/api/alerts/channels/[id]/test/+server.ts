import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import { runtime } from '$lib/server/runtime';
import type { RequestHandler } from './$types';

/** Sends a `test` notification now → `{notification}` with its status (`delivered` or `failed` and why). */
export const POST: RequestHandler = apiRoute(async ({ params }) => json({ notification: await runtime().alerts.sendTest(params.id) }));

export const fallback: RequestHandler = methodNotAllowed('POST');
