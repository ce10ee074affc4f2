/** A run history under control: 60 runs of one job, every status and trigger known. */
import type { Sql } from 'postgres';
import { syncCodeJobs } from '../../src/lib/server/cron/jobs';
import { defineJob } from '../../src/lib/server/cron/types';
import type { TestDatabase } from './db';
import { instance, type Instance } from './scheduler';

/**
 * Code jobs `alpha` (yearly) and `beta` (every 5 minutes) on a scheduler that is never started
 * (runs are written directly, every status and trigger under control), and `alpha`'s history
 * from `seedHistory`.
 */
export async function historyFixture(t: TestDatabase): Promise<{ a: Instance; ids: number[] }> {
	const noop = () => undefined;
	const defs = [
		defineJob({ key: 'alpha', name: 'Alpha', schedule: '0 0 1 1 *', handler: noop }),
		defineJob({ key: 'beta', name: 'Beta job', schedule: '*/5 * * * *', handler: noop })
	];
	const a = instance(t, defs);
	await syncCodeJobs(t.sql, defs);
	return { a, ids: await seedHistory(t.sql, 'alpha') };
}

/**
 * 60 runs of `job`, 1 minute apart from 2025-01-01 00:01, oldest first: every 3rd failed, every
 * 10th manual (no tick), durations 10 ms × n. Returns their ids, oldest first.
 */
export async function seedHistory(sql: Sql, job: string): Promise<number[]> {
	const rows = await sql<{ id: number }[]>`
		insert into cron_job_execution (job_id, trigger, scheduled_for, run_at, status, started_at, finished_at, duration_ms, created_at)
		select ${job}, case when g % 10 = 0 then 'manual' else 'schedule' end,
			case when g % 10 = 0 then null else timestamptz '2025-01-01' + make_interval(mins => g) end,
			timestamptz '2025-01-01' + make_interval(mins => g),
			case when g % 3 = 0 then 'failed' else 'succeeded' end,
			timestamptz '2025-01-01' + make_interval(mins => g), timestamptz '2025-01-01' + make_interval(mins => g, secs => 1), g * 10,
			timestamptz '2025-01-01' + make_interval(mins => g)
		from generate_series(1, 60) g
		order by g
		returning id`;
	return rows.map((r) => r.id);
}
