/**
 * /admin, the overview: jobs by state, failures and missed runs in the last 24 h, runs per hour
 * over 24 h by status, the next 10 runs, the slowest and the most failing jobs, undelivered
 * email. Every read is bounded: the 24 h window is an id range found by a binary search on the
 * primary key (cron/executions.ts `idRange`), the next runs ride cron_job_next_run_idx.
 */
import type { Sql } from 'postgres';
import { FAILED_STATUSES, type ExecutionStatus, type JobState } from '../../names';
import { failedEmailCount } from '../email/outbox';
import { idRange } from '../cron/executions';
import type { CronJobService } from '../cron/service';

export const OVERVIEW_HOURS = 24;
const TOP = 5;

/** One hour of the chart: its start (ISO) and the runs recorded in it, by status. */
export type HourBucket = { at: string; counts: Partial<Record<ExecutionStatus, number>> };

export type Overview = {
	states: Record<JobState, number>;
	/** Failed, timed-out and interrupted runs, and missed ticks, recorded in the last 24 h. */
	failures: number;
	missed: number;
	runs: number;
	hours: HourBucket[];
	next: { key: string; name: string; timezone: string | null; at: string }[];
	slowest: { key: string; maxMs: number; p95Ms: number; runs: number }[];
	failing: { key: string; failures: number; runs: number }[];
	undeliveredEmails: number;
};

export async function overview(deps: { cron: CronJobService; sql: Sql }, now = new Date()): Promise<Overview> {
	const { sql, cron } = deps;
	const hourMs = 3_600_000;
	const end = Math.floor(now.getTime() / hourMs) * hourMs + hourMs;
	const since = new Date(end - OVERVIEW_HOURS * hourMs);
	const range = await idRange(sql, since);
	const lo = range?.lo ?? null;
	const inWindow = range === null ? sql`false` : lo === null ? sql`created_at >= ${since}` : sql`id >= ${lo} and created_at >= ${since}`;
	const [states, perHour, next, slowest, failing, undeliveredEmails] = await Promise.all([
		cron.jobStateCounts(),
		sql<{ hour: Date; status: ExecutionStatus; n: number }[]>`
			select date_trunc('hour', created_at) as hour, status, count(*)::int as n
			from cron_job_execution where ${inWindow} group by 1, 2`,
		sql<{ key: string; name: string; timezone: string | null; at: Date }[]>`
			select key, name, timezone, next_run_at as at from cron_job
			where next_run_at is not null and enabled and config_error is null
			order by next_run_at, key limit 10`,
		sql<{ key: string; maxMs: number; p95Ms: number; runs: number }[]>`
			select job_id as key, max(duration_ms)::int as "maxMs",
				(percentile_cont(0.95) within group (order by duration_ms))::int as "p95Ms", count(*)::int as runs
			from cron_job_execution where ${inWindow} and duration_ms is not null
			group by job_id order by "maxMs" desc, job_id limit ${TOP}`,
		sql<{ key: string; failures: number; runs: number }[]>`
			select job_id as key, count(*) filter (where status = any(${FAILED_STATUSES as unknown as string[]}))::int as failures, count(*)::int as runs
			from cron_job_execution where ${inWindow}
			group by job_id having count(*) filter (where status = any(${FAILED_STATUSES as unknown as string[]})) > 0
			order by failures desc, job_id limit ${TOP}`,
		failedEmailCount(sql)
	]);
	const hours: HourBucket[] = Array.from({ length: OVERVIEW_HOURS }, (_, i) => ({ at: new Date(since.getTime() + i * hourMs).toISOString(), counts: {} }));
	let failures = 0;
	let missed = 0;
	let runs = 0;
	for (const row of perHour) {
		const bucket = hours[Math.floor((row.hour.getTime() - since.getTime()) / hourMs)];
		if (!bucket) continue;
		bucket.counts[row.status] = (bucket.counts[row.status] ?? 0) + row.n;
		runs += row.n;
		if ((FAILED_STATUSES as readonly string[]).includes(row.status)) failures += row.n;
		if (row.status === 'missed') missed += row.n;
	}
	return {
		states,
		failures,
		missed,
		runs,
		hours,
		next: next.map((r) => ({ ...r, at: r.at.toISOString() })),
		slowest,
		failing,
		undeliveredEmails
	};
}
