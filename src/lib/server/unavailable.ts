/**
 * While the database is away (stopped, refusing connections, or not answering within
 * DB_STATEMENT_TIMEOUT_MS) every request that needs it gets a 503, never a 500, a hang or a
 * redirect to /login: the API (and the heartbeat fast path) its JSON error
 * `{"error": {"code": "database_unavailable", …}}`, pages a short error page saying so. The
 * fault is recognised wherever it is thrown: in the auth handle's session lookup, in an
 * endpoint, in a load or an action (SvelteKit reports those to `handleError`, which marks the
 * request so the `databaseFaults` handle, src/hooks/database-faults.ts, can answer it). Which
 * errors count: db/faults.ts.
 *
 * Only types come from @sveltejs/kit: api/json.ts (also used by the fast path) imports this.
 */
import type { HandleServerError, RequestEvent } from '@sveltejs/kit';
import { unavailableCode } from './db/faults';
import { ServiceError } from './errors';
import { log } from './log';
import { SECURITY_HEADERS } from './security-headers';

export const RETRY_AFTER_SECONDS = 5;

const MESSAGE = 'the database is unavailable; try again shortly';

export const databaseUnavailable = () => new ServiceError(503, 'database_unavailable', MESSAGE);

/** An outage would log every failed request; one line per LOG_EVERY_MS says it all. */
const LOG_EVERY_MS = 10_000;
let lastLogged = 0;
let unlogged = 0;

/** Logs a database fault at warn, at most once per 10 s with the count of those not logged. */
export function noteUnavailable(code: string, where: { method?: string; path?: string } = {}): void {
	const now = Date.now();
	if (now - lastLogged < LOG_EVERY_MS) {
		unlogged++;
		return;
	}
	log.warn({ code, ...where, alsoFailedSinceLastLine: unlogged }, 'request failed: database unavailable');
	lastLogged = now;
	unlogged = 0;
}

/**
 * Requests whose load, action or endpoint failed on a database fault (see `serverError`), by
 * their `locals`: SvelteKit hands the hooks copies of the event, which share that object.
 */
const faulted = new WeakSet<App.Locals>();

/** Whether the request's load, action or endpoint failed on a database fault (`serverError` saw it). */
export const wasFaulted = (locals: App.Locals): boolean => faulted.has(locals);

/**
 * SvelteKit's `handleError`: a database fault marks the request for the `databaseFaults`
 * handle (src/hooks/database-faults.ts); any
 * other unexpected error is logged (404s are not errors worth a line) and shown generically.
 */
export const serverError: HandleServerError = ({ error, event, status, message }) => {
	const code = unavailableCode(error);
	if (code) {
		faulted.add(event.locals);
		noteUnavailable(code, { method: event.request.method, path: event.url.pathname });
		return { message: MESSAGE, code: 'database_unavailable' };
	}
	if (status !== 404) log.error({ err: error, status, method: event.request.method, path: event.url.pathname }, 'request failed');
	return { message };
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Database unavailable · Cronkit</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; min-height: 100vh; display: grid; place-items: center; background: #fff; color: #0f172a; }
main { max-width: 36rem; padding: 2rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
p { line-height: 1.5; margin: 0 0 1rem; color: #334155; }
a { color: #1d4ed8; }
@media (prefers-color-scheme: dark) { body { background: #020617; color: #f1f5f9; } p { color: #cbd5e1; } a { color: #93c5fd; } }
</style>
</head>
<body>
<main>
<p>503 · Service unavailable</p>
<h1>Database unavailable</h1>
<p>Cronkit cannot reach its database right now. Scheduled runs resume by themselves when it is back; nothing needs restarting.</p>
<p><a href="">Try again</a> in a few seconds.</p>
</main>
</body>
</html>
`;

/** The 503 answer for `event`: JSON for the API and for SvelteKit's data requests, else the page. */
export function unavailableResponse(event: Pick<RequestEvent, 'url' | 'isDataRequest'>): Response {
	const headers: Record<string, string> = { ...SECURITY_HEADERS, 'cache-control': 'no-store', 'retry-after': String(RETRY_AFTER_SECONDS) };
	if (event.url.pathname.startsWith('/api/')) {
		return new Response(JSON.stringify(databaseUnavailable().toJSON()), { status: 503, headers: { ...headers, 'content-type': 'application/json' } });
	}
	if (event.isDataRequest) {
		// What SvelteKit's client expects of a failed data request: the App.Error as JSON.
		return new Response(JSON.stringify({ message: MESSAGE, code: 'database_unavailable' }), { status: 503, headers: { ...headers, 'content-type': 'application/json' } });
	}
	return new Response(PAGE, { status: 503, headers: { ...headers, 'content-type': 'text/html; charset=utf-8' } });
}
