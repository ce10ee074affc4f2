import { registerDatabaseGauges } from '$lib/server/api/metrics';
import { metricsText } from '$lib/server/metrics';
import type { RequestHandler } from './$types';

/**
 * Prometheus text (README, "Metrics"). Not authenticated, like /healthz: it is meant for
 * scrapers on the operator's network and carries counts and job keys, no secrets or run output.
 */
export const GET: RequestHandler = async ({ locals }) => {
	registerDatabaseGauges(locals.services.sql);
	const { body, contentType } = await metricsText();
	return new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
};
