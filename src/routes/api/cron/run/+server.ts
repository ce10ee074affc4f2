import { json } from '@sveltejs/kit';
import { apiRoute, methodNotAllowed, queryOf } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

/**
 * For hosts without a long-running scheduler: claims every due tick and queued run, runs them
 * for at most `?budgetMs=` (default 25 s), and reports `{ran, running, left}`.
 */
export const POST: RequestHandler = apiRoute(async ({ url, locals }) => json(await locals.services.cron.runDue(queryOf(url))));

export const fallback: RequestHandler = methodNotAllowed('POST');
