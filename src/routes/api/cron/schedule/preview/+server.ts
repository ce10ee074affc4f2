import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed, queryOf } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

/** An invalid expression or zone is a 200 `{valid: false, error}`; a bad count or from is a 400. */
export const GET: RequestHandler = apiRoute(async ({ url, locals }) => json(await locals.services.cron.preview(queryOf(url))));

export const fallback: RequestHandler = methodNotAllowed('GET');
