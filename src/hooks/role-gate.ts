/**
 * CRON_ROLE=worker: the app answers only /healthz and /metrics, as the CLI's `worker` server
 * does (both refuse through roles.ts), and never reads a session.
 */
import type { Handle } from '@sveltejs/kit';
import { WORKER_PATHS, workerNotFoundBody } from '$lib/server/roles';

export const roleGate: Handle = async ({ event, resolve }) => {
	if (event.locals.services.config.cronRole !== 'worker' || WORKER_PATHS.has(event.url.pathname)) return resolve(event);
	return new Response(workerNotFoundBody(event.url.pathname), {
		status: 404,
		headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }
	});
};
