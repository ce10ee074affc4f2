/**
 * Presence for /admin/users: an authenticated request marks its user online and seen. At most
 * one write per user per minute: an in-process memo skips the query, and the SQL condition
 * skips the write when another instance did it recently.
 */
import type { Sql } from 'postgres';

export const TOUCH_INTERVAL_MS = 60_000;
/** Entries older than this are dropped when the memo grows; only recency matters. */
const MEMO_LIMIT = 10_000;

const lastTouch = new Map<string, number>();

export async function touchUser(sql: Sql, userId: string, now = Date.now()): Promise<boolean> {
	const last = lastTouch.get(userId);
	if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return false;
	lastTouch.set(userId, now);
	if (lastTouch.size > MEMO_LIMIT) {
		for (const [id, at] of lastTouch) if (now - at >= TOUCH_INTERVAL_MS) lastTouch.delete(id);
	}
	const res = await sql`
		update "user" set last_seen_at = now(), status = 'online'
		where id = ${userId}
			and (status <> 'online' or last_seen_at is null or last_seen_at < now() - make_interval(secs => ${TOUCH_INTERVAL_MS / 1000}))`;
	return res.count > 0;
}

/** Forgets the memo (tests; a user signing in again should show online at once). */
export function forgetTouch(userId?: string): void {
	if (userId === undefined) lastTouch.clear();
	else lastTouch.delete(userId);
}

/** Users without activity for `timeoutMinutes` become offline (the mark-users-offline job). */
export async function markUsersOffline(sql: Sql, timeoutMinutes: number): Promise<number> {
	const res = await sql`
		update "user" set status = 'offline'
		where status = 'online'
			and (last_seen_at is null or last_seen_at < now() - make_interval(mins => ${timeoutMinutes}))`;
	return res.count;
}
