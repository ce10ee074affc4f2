/**
 * CRON_ROLE: a `worker` answers only `/healthz` and `/metrics`. Shared by the web app's role
 * gate (src/hooks/role-gate.ts) and the CLI's `worker` server, so both refuse the same way.
 */
export const WORKER_PATHS: ReadonlySet<string> = new Set(['/healthz', '/metrics']);

/** The API's error shape for a path a worker does not serve. */
export function workerNotFoundBody(pathname: string): string {
	return JSON.stringify({
		error: {
			code: 'not_found',
			message: `${pathname} is not served here: a worker (CRON_ROLE=worker) answers only /healthz and /metrics`,
			issues: []
		}
	});
}
