/**
 * A client-side time limit on every query (DB_STATEMENT_TIMEOUT_MS). postgres.js has no
 * per-query timeout, and a server-side `statement_timeout` never fires in a backend that does
 * not run (a frozen server or VM, a dead network path): without a limit here, a request would
 * wait for such a database forever. Nor is `statement_timeout` set on the connections: the
 * limited pool and its unbounded view share them, so it would bind the exempt work too.
 *
 * `withStatementTimeout(sql, ms)` is a view of a pool in which each query races a timer from
 * the moment it is awaited (waiting for a free connection counts): on time-out the caller
 * gets a `StatementTimeoutError` at once and the query is cancelled (removed from the queue,
 * or a cancel request sent to its backend). That covers tagged templates, `unsafe`, `file`,
 * `notify`, and every statement of `begin` transactions and their savepoints, and so every
 * query Drizzle issues through the pool. The phases of a transaction the caller does not see
 * as queries (taking a connection and BEGIN, then COMMIT or ROLLBACK) are limited too.
 *
 * Not limited: LISTEN (postgres.js gives it a connection of its own that waits indefinitely by
 * design), `reserve()` (refused on a limited view: a reservation given up on would hold its
 * connection forever), and cursors read with `for await` (`forEach` and callback cursors are
 * limited as a whole, like any awaited query).
 *
 * Work that may rightly run longer says so with `unbounded(sql)`, which returns the pool
 * without limits (migrations, pruning, benchmark seeding): grep for `unbounded(` to see them.
 */
import type { PendingQuery, TransactionSql } from 'postgres';
import type { Queryable } from '.';

export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;

export const STATEMENT_TIMEOUT_CODE = 'DB_STATEMENT_TIMEOUT';

/** Thrown when a query did not answer within the limit. */
export class StatementTimeoutError extends Error {
	override name = 'StatementTimeoutError';
	readonly code = STATEMENT_TIMEOUT_CODE;
	constructor(
		readonly timeoutMs: number,
		what = 'query'
	) {
		super(`the database did not answer the ${what} within ${timeoutMs} ms (DB_STATEMENT_TIMEOUT_MS)`);
	}
}

const UNBOUNDED = Symbol('cronkit.unboundedPool');

type Limited = { [UNBOUNDED]?: Queryable };
type Canceller = (query: unknown) => Promise<unknown>;
/** A postgres.js query: a lazy promise that runs when first awaited, and can be cancelled. */
type Cancellable = Promise<unknown> & Pick<PendingQuery<never>, 'cancel'>;

/** The pool (or transaction) without the time limit; `sql` itself when it has none. */
export function unbounded<S extends Queryable>(sql: S): S {
	return ((sql as Limited)[UNBOUNDED] as S | undefined) ?? sql;
}

/**
 * Cancels a query without risking an unhandled rejection: postgres.js's `cancel()` starts the
 * cancel request but drops its promise (3.4 returns null), which rejects when the request
 * cannot be delivered (the server went away meanwhile). Its canceller is called directly when
 * there is one, so that failure is caught.
 */
function cancelQuietly(query: Cancellable): void {
	const q = query as unknown as { canceller?: Canceller | null };
	const canceller = q.canceller;
	if (typeof canceller !== 'function') return query.cancel();
	q.canceller = null;
	canceller(query).catch(() => {});
}

/**
 * Limits one query: awaiting it settles within `ms`, with a StatementTimeoutError if the
 * database has not answered by then. The query object is returned (its modifiers such as
 * `.values()` still work); only its `then` is replaced, which `await`, `catch` and `finally`
 * go through. A query never awaited (a fragment inside another) starts no timer.
 */
export function limitQuery<Q extends Cancellable>(query: Q, ms: number): Q {
	const run = query.then;
	let outcome: Promise<unknown> | undefined;
	const limited = (onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) => {
		outcome ??= new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				reject(new StatementTimeoutError(ms));
				cancelQuietly(query);
			}, ms);
			run.call(
				query,
				(value) => {
					clearTimeout(timer);
					resolve(value);
				},
				(err: unknown) => {
					clearTimeout(timer);
					reject(err);
				}
			);
		});
		return outcome.then(onFulfilled, onRejected);
	};
	(query as { then: unknown }).then = limited;
	return query;
}

/**
 * Runs a transaction (`begin`) or savepoint under the limit: starting it (a connection, then
 * BEGIN) and ending it (COMMIT or ROLLBACK) each get `ms`, and each statement of the body is
 * limited by the view the body receives. A body that failed on a time-out fails the whole call
 * at once rather than after a ROLLBACK the unresponsive database would not answer either.
 */
function limitScope<T>(ms: number, what: string, open: (body: (tx: TransactionSql) => Promise<T>) => Promise<T>, body: (tx: TransactionSql) => T | Promise<T>): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		let timer: NodeJS.Timeout | undefined;
		let gaveUp = false;
		const fail = (err: unknown) => {
			clearTimeout(timer);
			gaveUp = true;
			reject(err);
		};
		const arm = (phase: string) => {
			timer = setTimeout(() => fail(new StatementTimeoutError(ms, phase)), ms);
		};
		arm(`start of a ${what}`);
		open(async (tx) => {
			clearTimeout(timer);
			// The caller has given up already: roll back whatever the body would have done.
			if (gaveUp) throw new StatementTimeoutError(ms, `start of a ${what}`);
			try {
				return await body(withStatementTimeout(tx, ms));
			} catch (err) {
				if (err instanceof StatementTimeoutError) fail(err);
				throw err;
			} finally {
				if (!gaveUp) arm(`end of a ${what}`);
			}
		})
			.finally(() => clearTimeout(timer))
			.then(resolve, reject);
	});
}

type Body = (tx: TransactionSql) => unknown;

/** `begin(options?, body)` / `savepoint(name?, body)`: the body is always the last argument. */
function splitScopeArgs(args: unknown[]): { lead: unknown[]; body: Body } {
	return { lead: args.slice(0, -1), body: args.at(-1) as Body };
}

/**
 * A view of `sql` (a pool or a transaction) whose every query is limited to `ms`
 * milliseconds; see the module comment for what is and is not covered.
 */
export function withStatementTimeout<S extends Queryable>(sql: S, ms: number): S {
	const target = unbounded(sql) as Queryable & Record<PropertyKey, unknown>;
	const limit = <R>(result: R): R => (result instanceof Promise ? (limitQuery(result as unknown as Cancellable, ms) as R) : result);
	const call =
		(name: 'unsafe' | 'file') =>
		(...args: unknown[]) =>
			limit((target[name] as (...a: unknown[]) => unknown)(...args));
	const scope = (name: 'begin' | 'savepoint', what: string) => (...args: unknown[]) => {
		const { lead, body } = splitScopeArgs(args);
		const open = target[name] as (...a: unknown[]) => Promise<unknown>;
		return limitScope(ms, what, (wrapped) => open(...lead, wrapped), body);
	};
	const overrides: Record<PropertyKey, unknown> = {
		[UNBOUNDED]: target,
		unsafe: call('unsafe'),
		file: call('file'),
		// postgres.js's notify is an async function on the pool: issue the same statement limited.
		notify: (channel: string, payload: string) => view`select pg_notify(${channel}, ${String(payload)})`,
		begin: scope('begin', 'transaction'),
		savepoint: scope('savepoint', 'savepoint'),
		reserve: () => {
			throw new Error('reserve() is not available on a time-limited pool: use unbounded(sql).reserve() and limit its queries with limitQuery');
		}
	};
	const view: S = new Proxy(target, {
		apply: (fn, thisArg, args) => limit(Reflect.apply(fn as (...a: unknown[]) => unknown, thisArg, args)),
		get: (obj, prop, receiver) => (prop in overrides && (prop === UNBOUNDED || prop in obj) ? overrides[prop] : Reflect.get(obj, prop, receiver))
	}) as unknown as S;
	return view;
}
