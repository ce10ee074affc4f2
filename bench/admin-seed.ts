/**
 * Seed data for bench/admin-pages.ts: jobs and a large, realistic run history, written by
 * single INSERT … SELECT FROM generate_series statements.
 *
 * Distribution: job `bench-NNNN` receives runs with probability ∝ the gaps of x³ (job 0 about
 * 10% of all runs, the median job about 0.05%): a few busy jobs and a long tail of rare ones.
 * Statuses: 90% succeeded, 5% failed, 1% timed_out, 0.5% interrupted, 2% skipped, 1% missed,
 * 0.5% cancelled; triggers: 95% schedule, 3% manual, 2% retry. Runs are spread evenly over the
 * last 30 days, ids in time order (as the scheduler writes them).
 *
 * Seeding is exempt from DB_STATEMENT_TIMEOUT_MS: one statement writes millions of rows.
 */
import type { Sql } from 'postgres';
import { unbounded } from '../src/lib/server/db';

export const JOB_PREFIX = 'bench-';
/** `bench-0042`; keys past 9999 just grow (`bench-12345`), in SQL as in TypeScript. */
export const jobKey = (i: number) => `${JOB_PREFIX}${String(i).padStart(4, '0')}`;

const SCHEDULES = ['* * * * *', '*/5 * * * *', '*/15 * * * *', '0 * * * *', '0 */6 * * *', '30 2 * * *', '0 9 * * 1-5', 'daily', 'every_10_minutes', '@weekly'];

/** `count` UI jobs (type http, never due during the bench) with denormalised state filled in. */
export async function seedJobs(pool: Sql, count: number): Promise<void> {
	await unbounded(pool)`
		insert into cron_job (key, name, description, source, type, params, schedule, timezone, enabled, timeout_ms, max_retries,
			overlap, catch_up, catch_up_max_age_ms, next_run_at, last_run_at, last_status, last_duration_ms, consecutive_failures,
			created_by, updated_by)
		select ${JOB_PREFIX} || lpad(g::text, greatest(4, length(g::text)), '0'),
			'Bench job ' || g, 'A job of the admin-pages benchmark', 'ui', 'http',
			jsonb_build_object('url', 'http://127.0.0.1:9/job/' || g, 'method', 'GET', 'headers', '{}'::jsonb, 'followRedirects', true),
			(${SCHEDULES}::text[])[1 + g % ${SCHEDULES.length}],
			case when g % 7 = 0 then 'Europe/Paris' when g % 11 = 0 then 'America/New_York' end,
			g % 13 <> 0, 60000, g % 3, 'forbid', 'once', 86400000,
			now() + make_interval(mins => 1 + g % 600), now() - make_interval(mins => g % 600),
			case when g % 17 = 0 then 'failed' else 'succeeded' end, 5 + g % 900, case when g % 17 = 0 then 1 + g % 4 else 0 end,
			'bench', 'bench'
		from generate_series(0, ${count - 1}::int) g`;
}

const INDEXES = [
	'cron_job_execution_tick_uq',
	'cron_job_execution_history_idx',
	'cron_job_execution_queued_idx',
	'cron_job_execution_running_idx',
	'cron_job_execution_exclusive_uq',
	'cron_job_execution_status_idx',
	// bench/admin-pages.ts --covering-index (an experiment, not in the schema)
	'cron_job_execution_history_status_idx'
];

/**
 * Appends `rows` runs over `jobs` jobs. For big loads the secondary indexes are dropped and
 * rebuilt afterwards (a bulk build beats 10 M incremental inserts), then ANALYZE and VACUUM
 * (visibility map, as autovacuum would leave it).
 */
export async function seedRuns(pool: Sql, rows: number, jobs: number, progress: (step: string, ms: number) => void = () => {}): Promise<void> {
	const sql = unbounded(pool);
	const bulk = rows >= 200_000;
	let t = performance.now();
	const step = (name: string) => {
		const now = performance.now();
		progress(name, now - t);
		t = now;
	};
	let defs: { indexdef: string }[] = [];
	if (bulk) {
		defs = await sql<{ indexdef: string }[]>`select indexdef from pg_indexes where tablename = 'cron_job_execution' and indexname = any(${INDEXES})`;
		for (const name of INDEXES) await sql.unsafe(`drop index if exists ${name}`);
	}
	await sql.unsafe(`set maintenance_work_mem = '512MB'`);
	// The seed is consistent by construction: skip 10 M foreign-key trigger calls.
	await sql.unsafe('alter table cron_job_execution disable trigger all');
	await sql.unsafe(
		`insert into cron_job_execution (job_id, trigger, scheduled_for, run_at, attempt, status, started_at, finished_at, duration_ms,
			instance_id, triggered_by, output, result, error_message, created_at)
		select k.job_id,
			k.trigger,
			case when k.trigger = 'schedule' then t.at end,
			t.at,
			case when k.trigger = 'retry' then 2 else 1 end,
			k.status,
			case when k.status in ('skipped', 'missed') then null else t.at + interval '3 milliseconds' end,
			t.at + make_interval(secs => d.ms / 1000.0),
			case when k.status in ('skipped', 'missed') then null else d.ms end,
			'bench-' || (g % 3),
			case k.trigger when 'manual' then 'admin@example.com' when 'retry' then null end,
			case when k.status = 'succeeded' then 'GET http://127.0.0.1:9/ → 200 OK in ' || d.ms || ' ms' end,
			case when k.status = 'succeeded' then '{"message":"HTTP 200"}'::jsonb end,
			case k.status
				when 'failed' then 'HTTP 503 Service Unavailable (expected 2xx)'
				when 'timed_out' then 'timed out after 60000 ms'
				when 'interrupted' then 'lease expired: instance bench-1 stopped heartbeating'
				when 'skipped' then 'previous run still running (overlap: forbid)'
				when 'missed' then 'missed while no instance was running'
				when 'cancelled' then 'cancelled by admin@example.com'
			end,
			t.at
		from generate_series(1, $1::bigint) g
		cross join lateral (select g as n, random() as r1, random() as r2, random() as r3, random() as r4) x
		cross join lateral (select now() - make_interval(secs => ($1 - g) * (30 * 86400.0 / $1)) as at) t
		cross join lateral (select (exp(x.r4 * 7))::int as ms) d
		cross join lateral (select least($2 - 1, floor($2 * power(x.r1, 3)))::int as n) j
		cross join lateral (
			select '${JOB_PREFIX}' || lpad(j.n::text, greatest(4, length(j.n::text)), '0') as job_id,
				case when x.r2 < 0.95 then 'schedule' when x.r2 < 0.98 then 'manual' else 'retry' end as trigger,
				case
					when x.r3 < 0.90 then 'succeeded' when x.r3 < 0.95 then 'failed' when x.r3 < 0.96 then 'timed_out'
					when x.r3 < 0.965 then 'interrupted' when x.r3 < 0.985 then 'skipped' when x.r3 < 0.995 then 'missed'
					else 'cancelled'
				end as status
		) k`,
		[rows, jobs]
	);
	await sql.unsafe('alter table cron_job_execution enable trigger all');
	step('insert');
	if (bulk) for (const d of defs) await sql.unsafe(d.indexdef);
	step('indexes');
	await sql.unsafe('vacuum analyze cron_job_execution');
	step('vacuum analyze');
}

/** Removes every run (between the 10 k and 10 M phases). */
export async function clearRuns(pool: Sql): Promise<void> {
	await unbounded(pool).unsafe('truncate cron_job_execution');
}
