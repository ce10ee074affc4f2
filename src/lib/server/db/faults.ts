/**
 * Which errors mean "the database is unavailable right now" (a 503 and a retry later), as
 * opposed to a fault of the request or of the code. Drizzle wraps the driver's error in its own
 * (`DrizzleQueryError`, with the original as `cause`), and Node reports a failed connection to
 * several addresses as an `AggregateError`, so the whole chain is searched.
 */
import { STATEMENT_TIMEOUT_CODE } from './statement-timeout';

/** Socket errors on the way to the server. */
const NETWORK = ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'];

/** postgres.js's own connection errors. */
const DRIVER = ['CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED'];

/**
 * SQLSTATEs of a server that is going away or not accepting work yet: admin_shutdown,
 * crash_shutdown, cannot_connect_now (starting up, shutting down, in recovery),
 * idle_session_timeout, too_many_connections, and query_canceled (a server-side
 * statement_timeout, or a cancel request). Class 08 (connection exceptions) is matched as a
 * whole below.
 */
const SERVER = ['57P01', '57P02', '57P03', '57P05', '53300', '57014'];

const UNAVAILABLE: ReadonlySet<string> = new Set([...NETWORK, ...DRIVER, ...SERVER, STATEMENT_TIMEOUT_CODE]);

const codeOf = (err: object): string | undefined => ('code' in err && typeof err.code === 'string' ? err.code : undefined);

/**
 * The code that makes `err` a database-unavailable fault (`ECONNREFUSED`, `57P01`,
 * `DB_STATEMENT_TIMEOUT`, …), found on the error, its causes or the errors it aggregates;
 * undefined for any other error.
 */
export function unavailableCode(err: unknown): string | undefined {
	const seen = new Set<unknown>();
	const queue: unknown[] = [err];
	while (queue.length && seen.size < 20) {
		const e = queue.shift();
		if (typeof e !== 'object' || e === null || seen.has(e)) continue;
		seen.add(e);
		const code = codeOf(e);
		if (code && (UNAVAILABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return code;
		if ('cause' in e) queue.push(e.cause);
		if (e instanceof AggregateError) queue.push(...e.errors);
	}
	return undefined;
}
