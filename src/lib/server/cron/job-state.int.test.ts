import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { failFor, failNext, installFaults } from '../../../../tests/helpers/db-faults';
import { eventually, instance, quietLog, type Instance } from '../../../../tests/helpers/scheduler';
import { systemClock } from './clock';
import { DbTime } from './db-time';
import { DEFAULT_TIMING, type Engine } from './engine';
import { JOB_STATE_FLUSH_MS, JobStates } from './job-state';
import type { Settled } from './ledger';
import { parseRunsPayload, RUNS_CHANNEL, type RunsPayload } from './run-events';
import { defineJob } from './types';

type JobRow = { lastStatus: string | null; consecutiveFailures: number; lastRunAt: Date | null; lastDurationMs: number | null };

describe("jobs' latest state, written behind the outcomes", () => {
	let t: TestDatabase;
	let a: Instance;
	const heard: RunsPayload[] = [];
	let unlisten: () => Promise<void>;
	let failing = true;
	beforeAll(async () => {
		t = await createTestDatabase();
		await installFaults(t.sql);
		a = instance(
			t,
			[
				defineJob({ key: 'burst', name: 'Burst', schedule: '0 0 1 1 *', overlap: 'allow', handler: () => undefined }),
				defineJob({
					key: 'flaky',
					name: 'Flaky',
					schedule: '0 0 1 1 *',
					overlap: 'allow',
					maxRetries: 0,
					handler: () => (failing ? Promise.reject(new Error('boom')) : undefined)
				}),
				defineJob({ key: 'direct', name: 'Direct', schedule: '0 0 1 1 *', handler: () => undefined })
			],
			{ concurrency: 50 }
		);
		const listener = await t.pool(1).listen(RUNS_CHANNEL, (payload) => {
			const p = parseRunsPayload(payload);
			if (p) heard.push(p);
		});
		unlisten = () => listener.unlisten();
		await a.scheduler.start();
	});
	afterAll(async () => {
		await unlisten();
		await a.scheduler.close();
		await t.drop();
	});

	const job = async (key: string) => {
		const [row] = await t.sql<JobRow[]>`
			select last_status as "lastStatus", consecutive_failures as "consecutiveFailures", last_run_at as "lastRunAt",
				last_duration_ms as "lastDurationMs"
			from cron_job where key = ${key}`;
		return row!;
	};
	const queue = (key: string, n: number) => t.sql`
		insert into cron_job_execution (job_id, trigger, run_at, status)
		select ${key}, 'manual', now(), 'queued' from generate_series(1, ${n}::int)`;

	it('a burst of runs leaves the job showing its latest run within a second, in a few writes, and tells live pages', async () => {
		// Counts the writes of the job's state.
		await t.sql.unsafe(`
			create table burst_writes (at timestamptz default clock_timestamp());
			create function count_burst_write() returns trigger language plpgsql as $$
			begin insert into burst_writes default values; return new; end $$;
			create trigger count_burst_write after update on cron_job for each row
				when (new.key = 'burst' and new.last_run_at is distinct from old.last_run_at) execute function count_burst_write();`);
		heard.length = 0;
		await queue('burst', 400);
		await eventually(async () => {
			const [{ n }] = await t.sql<[{ n: number }]>`select count(*)::int as n from cron_job_execution where job_id = 'burst' and status = 'succeeded'`;
			return n === 400;
		}, 30_000);
		const done = Date.now();
		const [{ latest }] = await t.sql<[{ latest: Date }]>`select max(started_at) as latest from cron_job_execution where job_id = 'burst'`;
		const state = await eventually(async () => {
			const j = await job('burst');
			return j.lastRunAt?.getTime() === latest.getTime() ? j : null;
		}, 5_000);
		// Bounded staleness: 250 ms by design; a loaded machine gets a generous margin.
		expect(Date.now() - done).toBeLessThan(3_000);
		expect(state).toMatchObject({ lastStatus: 'succeeded', consecutiveFailures: 0 });
		expect(heard.some((p) => 'jobs' in p && p.jobs.includes('burst'))).toBe(true);
		// 400 runs settled in many batches (50 in flight); the job row was written at most once a
		// flush period over the burst (once per settle statement would be many more while settles
		// come faster than that; a loaded machine that settles slower still keeps this bound).
		const [{ writes, settles, spanMs }] = await t.sql<[{ writes: number; settles: number; spanMs: number }]>`
			select (select count(*)::int from burst_writes) as writes,
				(select count(distinct finished_at)::int from cron_job_execution where job_id = 'burst') as settles,
				(select extract(epoch from max(finished_at) - min(finished_at)) * 1000 from cron_job_execution where job_id = 'burst')::float8 as "spanMs"`;
		expect(writes).toBeGreaterThan(0);
		expect(settles).toBeGreaterThan(1);
		expect(writes).toBeLessThanOrEqual(Math.floor(spanMs / JOB_STATE_FLUSH_MS) + 2);
	});

	it('failures count once each when the write is refused for a while, then land', async () => {
		failing = true;
		await failFor(t.sql, 'job_state', 1_500);
		await queue('flaky', 5);
		await eventually(async () => {
			const [{ n }] = await t.sql<[{ n: number }]>`select count(*)::int as n from cron_job_execution where job_id = 'flaky' and status = 'failed'`;
			return n === 5;
		}, 20_000);
		// Refused for now: the state is not there yet, and not lost either.
		const state = await eventually(async () => {
			const j = await job('flaky');
			return j.consecutiveFailures === 5 ? j : null;
		}, 10_000);
		expect(state.lastStatus).toBe('failed');
		// Written once: no further write adds them again.
		await new Promise((r) => setTimeout(r, 1_000));
		expect((await job('flaky')).consecutiveFailures).toBe(5);
		// A success resets the count.
		failing = false;
		await queue('flaky', 1);
		await eventually(async () => {
			const j = await job('flaky');
			return j.lastStatus === 'succeeded' && j.consecutiveFailures === 0;
		}, 10_000);
	});

	it('folds batches (a success restarts the count), keeps them across a failed write, and flush() writes them at once', async () => {
		const engine: Engine = {
			sql: t.sql,
			db: t.db,
			log: quietLog,
			clock: systemClock,
			time: new DbTime(systemClock),
			instanceId: 'direct-test',
			timing: DEFAULT_TIMING
		};
		// Never written by the timer within this test: only flush() writes.
		const states = new JobStates(engine, 600_000);
		const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));
		const run = (id: number, status: string, s: number): Settled => ({
			id,
			jobKey: 'direct',
			status: status as Settled['status'],
			attempt: 1,
			durationMs: s,
			startedAt: at(s),
			transitioned: true,
			fenced: false
		});
		states.add([run(2, 'failed', 2), run(1, 'failed', 1)]);
		states.add([run(3, 'succeeded', 3), run(4, 'timed_out', 4), { ...run(5, 'failed', 5), transitioned: false }]);
		await failNext(t.sql, 'job_state', 1);
		await states.flush();
		// Refused: kept.
		expect(states.size).toBe(1);
		expect((await job('direct')).lastStatus).toBeNull();
		states.add([run(6, 'interrupted', 6)]);
		await states.flush();
		expect(states.size).toBe(0);
		expect(await job('direct')).toMatchObject({ lastStatus: 'interrupted', consecutiveFailures: 2, lastDurationMs: 6, lastRunAt: at(6) });
		// An older run arriving later adds its failure but does not replace the latest run.
		states.add([run(0, 'failed', 0)]);
		await states.flush();
		expect(await job('direct')).toMatchObject({ lastStatus: 'interrupted', consecutiveFailures: 3, lastRunAt: at(6) });
		states.stop();
	});
});
