/**
 * Built-in `prune-alerts`: keeps the history of alerts and monitors bounded. Hourly, because a
 * monitor pinged every minute adds 1,440 pings a day:
 * - each monitor's pings beyond its latest PINGS_KEPT, and any older than the retention period
 *   (`executions.retentionDays`);
 * - monitor status changes and finished notifications (delivered, failed, held) older than that;
 * - `slow` markers of runs long over, and rate-limit windows long ended with nothing held.
 * Exempt from DB_STATEMENT_TIMEOUT_MS, like `prune-executions`: it may rightly take a while.
 */
import type { Sql } from 'postgres';
import { unbounded } from '../db/statement-timeout';
import { loadSettings } from '../cron/settings';
import { defineJob } from '../cron/types';

/** Pings kept per monitor (with their bodies, at most 10 KB each). */
export const PINGS_KEPT = 1000;

export type Pruned = { pings: number; flips: number; notifications: number; other: number };

export async function pruneAlertHistory(sql: Sql, days: number, pingsKept = PINGS_KEPT): Promise<Pruned> {
	const pings = await sql`
		delete from monitor_ping p using (
			select m.key, (select x.id from monitor_ping x where x.monitor_key = m.key order by x.id desc nulls last offset ${pingsKept} limit 1) as cutoff
			from monitor m
		) c
		where p.monitor_key = c.key and (p.id <= c.cutoff or p.at < now() - make_interval(days => ${days}))`;
	const flips = await sql`delete from monitor_flip where alerted and at < now() - make_interval(days => ${days})`;
	const notifications = await sql`
		delete from notification where status in ('delivered', 'failed', 'held') and created_at < now() - make_interval(days => ${days})`;
	const fired = await sql`delete from alert_fired where at < now() - interval '7 days'`;
	const windows = await sql`delete from notification_window where held = '{}'::jsonb and ends_at < now() - interval '1 day'`;
	return { pings: pings.count, flips: flips.count, notifications: notifications.count, other: fired.count + windows.count };
}

export const pruneAlerts = defineJob({
	key: 'prune-alerts',
	name: 'Prune alert history',
	description: `Keeps each monitor's latest ${PINGS_KEPT} pings and drops status changes and notifications older than the retention period (executions.retentionDays).`,
	schedule: 'hourly',
	timeoutMs: 30 * 60_000,
	catchUp: 'once',
	async handler({ db, log }) {
		const sql = unbounded(db.$client);
		const days = (await loadSettings(sql, 'UTC'))['executions.retentionDays'];
		const n = await pruneAlertHistory(sql, days);
		log(`deleted ${n.pings} pings, ${n.flips} status changes, ${n.notifications} notifications (${days} days kept)`);
		return { message: `deleted ${n.pings} pings and ${n.notifications} notifications`, metrics: n };
	}
});
