/**
 * Fixed-window counters in `rate_limit`, shared by every instance (README, "Sign-in
 * throttling"). The database's clock decides windows, so instances with skewed clocks agree.
 */
import type { Queryable } from '../db';

export type Limit = { max: number; windowMs: number };


export type Hit = { hits: number; windowEndsAt: Date; retryAfterSeconds: number };

/**
 * Counts one hit on `key` atomically (a new window starts when the last one ended) and returns
 * the count in the current window and the seconds until it ends.
 */
export async function hit(sql: Queryable, key: string, limit: Limit): Promise<Hit> {
	const [row] = await sql<{ hits: number; window_ends_at: Date; retry_after: number }[]>`
		insert into rate_limit as r (key, hits, window_ends_at)
		values (${key}, 1, now() + make_interval(secs => ${limit.windowMs / 1000}))
		on conflict (key) do update set
			hits = case when r.window_ends_at <= now() then 1 else r.hits + 1 end,
			window_ends_at = case when r.window_ends_at <= now() then excluded.window_ends_at else r.window_ends_at end
		returning hits, window_ends_at, greatest(1, ceil(extract(epoch from window_ends_at - now())))::int as retry_after`;
	return { hits: row!.hits, windowEndsAt: row!.window_ends_at, retryAfterSeconds: row!.retry_after };
}

/** Takes back one hit (an attempt that turned out fine), never below zero. */
export async function refund(sql: Queryable, key: string): Promise<void> {
	await sql`update rate_limit set hits = greatest(hits - 1, 0) where key = ${key} and window_ends_at > now()`;
}

export async function reset(sql: Queryable, key: string): Promise<void> {
	await sql`delete from rate_limit where key = ${key}`;
}

/** Drops ended windows (housekeeping; a stale row is harmless since `hit` restarts it). */
export async function pruneRateLimits(sql: Queryable): Promise<number> {
	const res = await sql`delete from rate_limit where window_ends_at <= now()`;
	return res.count;
}
