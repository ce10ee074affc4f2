/**
 * Jobs' recent statistics: the job page's summary of its last STATS_WINDOW runs, and the list's
 * success rate of each job's last SUCCESS_WINDOW runs. Both read along (job_id, id desc) with a
 * LIMIT, so the cost never depends on how long the history is.
 */
import type { Sql } from 'postgres';
import { FINISHED_STATUSES, isFinished, type ExecutionStatus } from '../../names';

export const STATS_WINDOW = 1_000;
export const CHART_POINTS = 100;

/** How many of each job's latest runs its success rate (on the list) covers. */
export const SUCCESS_WINDOW = 10;

export type SuccessRate = {
	/** Runs in the window that ended with an outcome (succeeded, failed, timed out, interrupted). */
	finished: number;
	succeeded: number;
	/** succeeded / finished, or null when none finished. */
	rate: number | null;
};

/**
 * Every job's success over its last `window` runs, in one statement: a LATERAL probe per job on
 * (job_id, id desc), LIMIT `window`, so the cost is bounded by jobs × window whatever the
 * history's size (and needs no list of jobs first: it runs beside the list's own read).
 * Skipped, missed, cancelled and unfinished runs are not outcomes.
 */
export async function successRates(sql: Sql, window = SUCCESS_WINDOW): Promise<Map<string, SuccessRate>> {
	const rows = await sql<{ key: string; finished: number; succeeded: number }[]>`
		select j.key, r.finished, r.succeeded
		from cron_job j
		cross join lateral (
			select count(*) filter (where x.status = any(${FINISHED_STATUSES}))::int as finished,
				count(*) filter (where x.status = 'succeeded')::int as succeeded
			from (
				select e.status from cron_job_execution e
				where e.job_id = j.key
				-- NULLS LAST as in the index: a plain DESC (NULLS FIRST) cannot use it
				order by e.id desc nulls last
				limit ${window}
			) x
		) r`;
	return new Map(rows.map((r) => [r.key, { finished: r.finished, succeeded: r.succeeded, rate: r.finished ? r.succeeded / r.finished : null }]));
}

export type ChartPoint = { id: number; at: string; status: ExecutionStatus; durationMs: number | null };

export type JobStats = {
	/** Runs examined (at most STATS_WINDOW) and the instant of the oldest of them. */
	runs: number;
	since: string | null;
	/** Runs with an outcome (succeeded, failed, timed out, interrupted) and the share that succeeded. */
	finished: number;
	succeeded: number;
	successRate: number | null;
	p50Ms: number | null;
	p95Ms: number | null;
	maxMs: number | null;
	/** Runs per day over the window's span (null with fewer than two runs). */
	perDay: number | null;
	byStatus: Partial<Record<ExecutionStatus, number>>;
	/** The latest CHART_POINTS runs, oldest first. */
	chart: ChartPoint[];
};

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number | null {
	if (!sorted.length) return null;
	return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

type Raw = { id: number; status: ExecutionStatus; durationMs: number | null; at: Date };

export function summarise(rows: readonly Raw[], window = STATS_WINDOW): JobStats {
	const durations: number[] = [];
	const byStatus: JobStats['byStatus'] = {};
	let finished = 0;
	let succeeded = 0;
	for (const r of rows) {
		byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
		if (isFinished(r.status)) {
			finished++;
			if (r.status === 'succeeded') succeeded++;
			if (r.durationMs !== null) durations.push(r.durationMs);
		}
	}
	durations.sort((a, b) => a - b);
	const newest = rows[0]?.at.getTime();
	const oldest = rows[rows.length - 1]?.at.getTime();
	const spanDays = newest !== undefined && oldest !== undefined ? (newest - oldest) / 86_400_000 : 0;
	return {
		runs: rows.length,
		since: rows.length ? rows[rows.length - 1]!.at.toISOString() : null,
		finished,
		succeeded,
		successRate: finished ? succeeded / finished : null,
		p50Ms: percentile(durations, 50),
		p95Ms: percentile(durations, 95),
		maxMs: durations.length ? durations[durations.length - 1]! : null,
		// Over the window's span; a history younger than a day is reported as it is (its runs so
		// far), not extrapolated from a few minutes.
		perDay: rows.length < 2 || spanDays <= 0 ? null : spanDays < 1 && rows.length < window ? rows.length : (rows.length - 1) / spanDays,
		byStatus,
		chart: rows
			.slice(0, CHART_POINTS)
			.reverse()
			.map((r) => ({ id: r.id, at: r.at.toISOString(), status: r.status, durationMs: r.durationMs }))
	};
}

/** One query: the job's latest runs (small columns only), summarised here. */
export async function jobStats(sql: Sql, jobKey: string, window = STATS_WINDOW): Promise<JobStats> {
	const rows = await sql<Raw[]>`
		select id, status, duration_ms as "durationMs", coalesce(started_at, scheduled_for, run_at) as at
		from cron_job_execution
		where job_id = ${jobKey}
		order by id desc nulls last -- as the index (job_id, id desc nulls last) is ordered
		limit ${window}`;
	return summarise(rows, window);
}
