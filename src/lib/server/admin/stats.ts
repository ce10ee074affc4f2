/**
 * Jobs' recent statistics: the job page's summary of its last STATS_WINDOW runs, and, for the
 * jobs of one list page, the success rate of their last SUCCESS_WINDOW runs. Both read along (job_id, id desc) with a LIMIT, so the cost never depends on how long
 * the history is.
 */
import type { Sql } from 'postgres';
import { FINISHED_STATUSES, isFinished, type ExecutionStatus } from '../../names';

export const STATS_WINDOW = 1_000;
export const CHART_POINTS = 100;

/** How many of each job's latest runs its success rate (on the list) covers. */
export const SUCCESS_WINDOW = 10;

/** The span "runs per day" looks back over. */
export const RATE_WINDOW_MS = 7 * 86_400_000;
/** Below this span a daily rate would be an extrapolation from a moment: the count is shown instead. */
export const RATE_MIN_SPAN_MS = 10 * 60_000;

export type SuccessRate = {
	/** Runs in the window that ended with an outcome (succeeded, failed, timed out, interrupted). */
	finished: number;
	succeeded: number;
	/** succeeded / finished, or null when none finished. */
	rate: number | null;
};

/**
 * The jobs' success over their last `window` runs, in one statement: a LATERAL probe per job on
 * (job_id, id desc), LIMIT `window`, so the cost is bounded by keys × window whatever the
 * history's size. Skipped, missed, cancelled and unfinished runs are not outcomes.
 */
export async function recentRuns(sql: Sql, keys: readonly string[], window = SUCCESS_WINDOW): Promise<Map<string, SuccessRate>> {
	if (!keys.length) return new Map();
	const rows = await sql<{ key: string; finished: number; succeeded: number }[]>`
		select k.key, r.finished, r.succeeded
		from unnest(${keys as string[]}::text[]) as k(key)
		cross join lateral (
			select count(*) filter (where x.status = any(${FINISHED_STATUSES}))::int as finished,
				count(*) filter (where x.status = 'succeeded')::int as succeeded
			from (
				select e.status from cron_job_execution e
				where e.job_id = k.key
				-- NULLS LAST as in the index: a plain DESC (NULLS FIRST) cannot use it
				order by e.id desc nulls last
				limit ${window}
			) x
		) r`;
	return new Map(rows.map((r) => [r.key, { finished: r.finished, succeeded: r.succeeded, rate: r.finished ? r.succeeded / r.finished : null }]));
}

export type ChartPoint = { id: number; at: string; status: ExecutionStatus; durationMs: number | null };

/**
 * Finished runs per day, with the span it covers: the last 7 days; since the job's first run
 * when it is younger; or the span of the runs read (STATS_WINDOW) when those all fall within
 * the 7 days (a busy job). `perDay` is null for a span under RATE_MIN_SPAN_MS.
 */
export type RunRate = {
	perDay: number | null;
	/** Finished runs counted. */
	finished: number;
	/** Start of the span (ISO); it ends now. */
	since: string;
	spanMs: number;
	basis: 'week' | 'since-first' | 'latest';
};

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
	/** Runs per day (null without any run). */
	rate: RunRate | null;
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

/** Finished runs per day, from the latest runs read (newest first) and the job's first run. */
export function runRate(rows: readonly Raw[], firstAt: Date | null, now: number, window = STATS_WINDOW): RunRate | null {
	if (!rows.length || !firstAt) return null;
	const weekAgo = now - RATE_WINDOW_MS;
	const oldestRead = rows[rows.length - 1]!.at.getTime();
	let start: number;
	let basis: RunRate['basis'];
	if (rows.length >= window && oldestRead > weekAgo) {
		start = oldestRead;
		basis = 'latest';
	} else if (firstAt.getTime() > weekAgo) {
		start = firstAt.getTime();
		basis = 'since-first';
	} else {
		start = weekAgo;
		basis = 'week';
	}
	const finished = rows.filter((r) => isFinished(r.status) && r.at.getTime() >= start).length;
	const spanMs = Math.max(0, now - start);
	return { perDay: spanMs < RATE_MIN_SPAN_MS ? null : finished / (spanMs / 86_400_000), finished, since: new Date(start).toISOString(), spanMs, basis };
}

export function summarise(rows: readonly Raw[], firstAt: Date | null, now: number, window = STATS_WINDOW): JobStats {
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
	return {
		runs: rows.length,
		since: rows.length ? rows[rows.length - 1]!.at.toISOString() : null,
		finished,
		succeeded,
		successRate: finished ? succeeded / finished : null,
		p50Ms: percentile(durations, 50),
		p95Ms: percentile(durations, 95),
		maxMs: durations.length ? durations[durations.length - 1]! : null,
		rate: runRate(rows, firstAt, now, window),
		byStatus,
		chart: rows
			.slice(0, CHART_POINTS)
			.reverse()
			.map((r) => ({ id: r.id, at: r.at.toISOString(), status: r.status, durationMs: r.durationMs }))
	};
}

/** Two bounded reads: the job's latest runs (small columns only) and its first run, summarised here. */
export async function jobStats(sql: Sql, jobKey: string, window = STATS_WINDOW): Promise<JobStats> {
	const [rows, first] = await Promise.all([
		sql<Raw[]>`
			select id, status, duration_ms as "durationMs", coalesce(started_at, scheduled_for, run_at) as at
			from cron_job_execution
			where job_id = ${jobKey}
			order by id desc nulls last -- as the index (job_id, id desc nulls last) is ordered
			limit ${window}`,
		sql<{ at: Date; now: Date }[]>`
			select coalesce(started_at, scheduled_for, run_at) as at, now() as now
			from cron_job_execution
			where job_id = ${jobKey}
			order by id asc nulls first -- the same index, read backwards
			limit 1`
	]);
	return summarise(rows, first[0]?.at ?? null, first[0]?.now.getTime() ?? Date.now(), window);
}
