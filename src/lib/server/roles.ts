/**
 * CRON_ROLE (SPEC §3): a `worker` answers only `/healthz` and `/metrics`. Shared by the web
 * app's hook and the CLI's `worker` server, so both refuse the same way.
 * Only a type comes from @sveltejs/kit: the CLI bundle runs without it (a dev dependency).
 */
import type { Handle } from '@sveltejs/kit';
import { isBooted, runtime } from './runtime';

export const WORKER_PATHS: ReadonlySet<string> = new Set(['/healthz', '/metrics']);

/** SPEC §8's error shape for a path a worker does not serve. */
export function workerNotFoundBody(pathname: string): string {
	return JSON.stringify({
		error: {
			code: 'not_found',
			message: `${pathname} is not served here: a worker (CRON_ROLE=worker) answers only /healthz and /metrics`,
			issues: []
		}
	});
}

function currentRole(): string | undefined {
	// `init` boots before the first request; the env fallback covers anything earlier.
	return isBooted() ? runtime().config.cronRole : process.env.CRON_ROLE;
}

export const roleGate: Handle = async ({ event, resolve }) => {
	if (currentRole() !== 'worker' || WORKER_PATHS.has(event.url.pathname)) return resolve(event);
	return new Response(workerNotFoundBody(event.url.pathname), {
		status: 404,
		headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }
	});
};
