/**
 * Session timing (README, "Session API"): clients heartbeat every `heartbeatIntervalSeconds` (30) and a
 * session without one for `timeoutSeconds` (60) is over. The timeout is the `session-cleanup`
 * job's `timeoutSeconds` param, so an admin who edits it changes the API's answer and the
 * cleanup together.
 */
import type { Sql } from 'postgres';
import { z } from 'zod';

export const SESSION_CLEANUP_KEY = 'session-cleanup';
export const DEFAULT_TIMEOUT_SECONDS = 60;
export const HEARTBEAT_INTERVAL_SECONDS = 30;
/**
 * Rows per cleanup statement. Measured on 1,000,000 stale sessions (bench/cleanup.ts): 10,000
 * per statement took ~12 s, 50,000 ~9.5 s; a statement of 50,000 takes ~0.5 s and locks only
 * the stale rows it ends, so heartbeats on live sessions do not wait for it.
 */
export const DEFAULT_CLEANUP_BATCH = 50_000;
/**
 * Connections ending disjoint ranges of stale sessions at once. Ending a row is CPU work in
 * PostgreSQL (a new row version and two index entries); on 2 cores, 2 workers ended 1,000,000
 * in 6.4–7.6 s where one took 11.7–12.9 s, 3 were no faster.
 */
export const DEFAULT_CLEANUP_WORKERS = 2;

export const sessionCleanupParams = z.object({
	timeoutSeconds: z
		.number({ error: 'must be a number' })
		.int('must be a whole number')
		.min(10, 'must be at least 10')
		.max(7 * 24 * 3600, 'must be at most a week')
		.default(DEFAULT_TIMEOUT_SECONDS),
	/** Sessions ended per statement by the cleanup. */
	batchSize: z
		.number({ error: 'must be a number' })
		.int('must be a whole number')
		.min(100, 'must be at least 100')
		.max(500_000, 'must be at most 500000')
		.default(DEFAULT_CLEANUP_BATCH),
	/** Statements running at once when more than one batch is stale. */
	workers: z
		.number({ error: 'must be a number' })
		.int('must be a whole number')
		.min(1, 'must be at least 1')
		.max(8, 'must be at most 8')
		.default(DEFAULT_CLEANUP_WORKERS)
});

export type SessionTiming = { heartbeatIntervalSeconds: number; timeoutSeconds: number };

/** Two heartbeats fit in every timeout, so one lost packet never ends a session. */
export function timingFor(timeoutSeconds: number): SessionTiming {
	return { heartbeatIntervalSeconds: Math.min(HEARTBEAT_INTERVAL_SECONDS, Math.floor(timeoutSeconds / 2)), timeoutSeconds };
}

/** Heartbeats are hot: the param is re-read at most this often per pool. */
const CACHE_MS = 5_000;
const cache = new WeakMap<Sql, { at: number; value: Promise<SessionTiming> }>();

async function read(sql: Sql): Promise<SessionTiming> {
	const [row] = await sql<{ params: unknown }[]>`select params from cron_job where key = ${SESSION_CLEANUP_KEY}`;
	const parsed = sessionCleanupParams.safeParse(row?.params ?? {});
	return timingFor(parsed.success ? parsed.data.timeoutSeconds : DEFAULT_TIMEOUT_SECONDS);
}

export function sessionTiming(sql: Sql): Promise<SessionTiming> {
	const hit = cache.get(sql);
	if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
	const value = read(sql);
	cache.set(sql, { at: Date.now(), value });
	// A failed read is not cached: the next call asks again.
	value.catch(() => {
		if (cache.get(sql)?.value === value) cache.delete(sql);
	});
	return value;
}

/** Forget the cached timing (tests that edit the param). */
export function clearSessionTimingCache(sql: Sql): void {
	cache.delete(sql);
}
