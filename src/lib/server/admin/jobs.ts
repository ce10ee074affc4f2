/**
 * The read model of /admin/cron: every job from `cron_job` (denormalised state) plus recent
 * success rates in one bounded query. A fixed number of queries whatever the number of jobs,
 * and no aggregate over all history (DESIGN "Hot paths to keep cheap").
 */
import type { Sql } from 'postgres';
import { z } from 'zod';
import { JOB_SOURCES } from '../../cron-names';
import { describeSchedule, jobState, type JobState, type JobView } from '../cron/service';
import { loadSettings } from '../cron/settings';
import type { CronJob } from '../db/schema';

export const JOB_STATES = ['idle', 'running', 'paused', 'failing', 'misconfigured'] as const satisfies readonly JobState[];

/** How many of each job's latest runs its success rate covers. */
export const SUCCESS_WINDOW = 10;

export type SuccessRate = {
	/** Runs in the window that ended with an outcome (succeeded, failed, timed out, interrupted). */
	finished: number;
	succeeded: number;
	/** succeeded / finished, or null when none finished. */
	rate: number | null;
};

export const listQuerySchema = z.object({
	q: z.string().trim().max(100).catch(''),
	state: z.enum(JOB_STATES).optional().catch(undefined),
	source: z.enum(JOB_SOURCES).optional().catch(undefined)
});
export type ListQuery = z.infer<typeof listQuerySchema>;

/** One row of the list: what the page shows, nothing more (no params, which may hold secrets). */
export type JobRow = Pick<
	JobView,
	| 'key'
	| 'name'
	| 'source'
	| 'type'
	| 'schedule'
	| 'scheduleDescription'
	| 'timezone'
	| 'enabled'
	| 'state'
	| 'configError'
	| 'nextRunAt'
	| 'lastRunAt'
	| 'lastStatus'
	| 'lastDurationMs'
	| 'consecutiveFailures'
> & { success: SuccessRate | null };

export type JobList = {
	jobs: JobRow[];
	/** Every job, whatever the filters. */
	total: number;
	query: ListQuery;
	paused: boolean;
	defaultTimezone: string;
	window: number;
};

type Raw = {
	key: string;
	name: string;
	source: CronJob['source'];
	type: string;
	schedule: string;
	timezone: string | null;
	enabled: boolean;
	configError: string | null;
	nextRunAt: Date | null;
	lastRunAt: Date | null;
	lastStatus: CronJob['lastStatus'];
	lastDurationMs: number | null;
	consecutiveFailures: number;
	finished: number | null;
	succeeded: number | null;
	total: number;
};

/**
 * The jobs (only the columns the list shows) with each one's success over its last `window`
 * runs: a LATERAL probe per job on (job_id, id desc), LIMIT `window`, so the cost is bounded
 * by jobs × window whatever the history's size. Skipped, missed, cancelled and unfinished
 * runs are not outcomes. Search and source filter in SQL; the state needs the running runs.
 */
function listQuery(sql: Sql, q: ListQuery, window: number) {
	const needle = q.q ? `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
	return sql<Raw[]>`
		select j.key, j.name, j.source, j.type, j.schedule, j.timezone, j.enabled, j.config_error as "configError",
			j.next_run_at as "nextRunAt", j.last_run_at as "lastRunAt", j.last_status as "lastStatus",
			j.last_duration_ms as "lastDurationMs", j.consecutive_failures as "consecutiveFailures",
			r.finished, r.succeeded, (select count(*)::int from cron_job) as total
		from cron_job j
		left join lateral (
			select count(*) filter (where x.status in ('succeeded', 'failed', 'timed_out', 'interrupted'))::int as finished,
				count(*) filter (where x.status = 'succeeded')::int as succeeded
			from (
				select e.status from cron_job_execution e
				where e.job_id = j.key
				-- NULLS LAST as in the index: a plain DESC (NULLS FIRST) cannot use it
				order by e.id desc nulls last
				limit ${window}
			) x
		) r on true
		where true
			${needle ? sql`and (j.key ilike ${needle} or j.name ilike ${needle})` : sql``}
			${q.source ? sql`and j.source = ${q.source}` : sql``}
		order by j.key`;
}

/** The list page's load: 3 queries (jobs with success rates, running runs, settings), in parallel. */
export async function loadJobList(sql: Sql, defaultTimezone: string, params: URLSearchParams, window = SUCCESS_WINDOW): Promise<JobList> {
	const query = listQuerySchema.parse(Object.fromEntries(params));
	const [rows, running, settings] = await Promise.all([
		listQuery(sql, query, window),
		sql<{ jobKey: string }[]>`select distinct job_id as "jobKey" from cron_job_execution where status = 'running'`,
		loadSettings(sql, defaultTimezone)
	]);
	const busy = new Set(running.map((r) => r.jobKey));
	const paused = settings['scheduler.paused'];
	const zone = settings['scheduler.defaultTimezone'];
	const jobs: JobRow[] = [];
	for (const r of rows) {
		const state = jobState(r, busy.has(r.key), paused);
		if (query.state && state !== query.state) continue;
		const timezone = r.timezone ?? zone;
		jobs.push({
			key: r.key,
			name: r.name,
			source: r.source,
			type: r.type,
			schedule: r.schedule,
			scheduleDescription: describeSchedule(r.schedule, timezone),
			timezone,
			enabled: r.enabled,
			state,
			configError: r.configError,
			// As the service shows it: a disabled or misconfigured job has no next run.
			nextRunAt: r.enabled && !r.configError && r.nextRunAt ? r.nextRunAt.toISOString() : null,
			lastRunAt: r.lastRunAt ? r.lastRunAt.toISOString() : null,
			lastStatus: r.lastStatus,
			lastDurationMs: r.lastDurationMs,
			consecutiveFailures: r.consecutiveFailures,
			success: r.finished === null ? null : { finished: r.finished, succeeded: r.succeeded ?? 0, rate: r.finished ? (r.succeeded ?? 0) / r.finished : null }
		});
	}
	const total = rows[0]?.total ?? (await sql<{ n: number }[]>`select count(*)::int as n from cron_job`)[0]!.n;
	return { jobs, total, query, paused, defaultTimezone: zone, window };
}
