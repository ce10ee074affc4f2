import { deleteExpiredSessions, SESSION_POLICY } from '../auth/session';
import { pruneRateLimits } from '../auth/throttle';
import { defineJob } from '../cron/types';

const DAY = 86_400_000;

/**
 * Built-in `prune-auth-sessions` (README, "Built-in jobs"): deletes login sessions past the auth module's
 * inactivity timeout or absolute lifetime (they are already refused; this only frees rows),
 * and the ended windows of the shared rate-limit table (logins, session starts).
 */
export const pruneAuthSessions = defineJob({
	key: 'prune-auth-sessions',
	name: 'Prune login sessions',
	description: `Deletes login sessions unused for ${SESSION_POLICY.inactivityMs / DAY} days or older than ${SESSION_POLICY.maxAgeMs / DAY} days, and ended rate-limit windows.`,
	schedule: 'daily',
	timeoutMs: 10 * 60_000,
	catchUp: 'once',
	async handler({ db, log }) {
		const sql = db.$client;
		const sessions = await deleteExpiredSessions(sql);
		const windows = await pruneRateLimits(sql);
		log(`deleted ${sessions} expired login session${sessions === 1 ? '' : 's'} and ${windows} ended rate-limit window${windows === 1 ? '' : 's'}`);
		return { message: `deleted ${sessions} login sessions`, metrics: { deleted: sessions, rateLimitWindows: windows } };
	}
});
