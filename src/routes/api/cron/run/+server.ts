import { json } from '@sveltejs/kit';
import { apiRoute, cron, methodNotAllowed } from '$lib/server/api/route';
import type { RequestHandler } from './$types';

/** For hosts without a long-running process: claims every due tick and queued run, runs them, reports. */
export const POST: RequestHandler = apiRoute(async () => json({ ran: await cron().runDue() }));

export const fallback: RequestHandler = methodNotAllowed('POST');
