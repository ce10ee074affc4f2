import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { failNext, installFaults } from '../../../../tests/helpers/db-faults';
import { eventually, instance, type Instance } from '../../../../tests/helpers/scheduler';
import { runDuration, runsTotal } from '../metrics';
import { claimQueued, settle } from './ledger';
import { defineJob } from './types';

/** The queue's slots refilled by the statements that settle the runs freeing them (outcomes.ts, queue.ts). */
describe('settle and claim in one statement', () => {
	let t: TestDatabase;
	let a: Instance;
	const calls = new Map<number, number>();
	beforeAll(async () => {
		t = await createTestDatabase();
		await installFaults(t.sql);
		a = instance(
			t,
			[
				defineJob({
					key: 'work',
					name: 'Work',
					schedule: '0 0 1 1 *',
					overlap: 'allow',
					handler: (ctx) => void calls.set(ctx.execution.id, (calls.get(ctx.execution.id) ?? 0) + 1)
				})
			],
			{ concurrency: 10 }
		);
		await a.scheduler.start();
	});
	afterAll(async () => {
		await a.scheduler.close();
		await t.drop();
	});

	const statuses = async () =>
		Object.fromEntries(
			(await t.sql<{ status: string; n: number }[]>`select status, count(*)::int as n from cron_job_execution group by status`).map((r) => [r.status, r.n])
		);

	it('runs every queued run exactly once, with failed statements retried (outcomes kept, claims rolled back)', async () => {
		// The next three settle statements fail as a whole: their outcomes and their claims.
		await failNext(t.sql, 'settle', 3);
		const counted = async () => (await runsTotal.get()).values.find((v) => v.labels.job === 'work' && v.labels.status === 'succeeded')?.value ?? 0;
		const observed = async () => (await runDuration.get()).values.find((v) => v.labels.job === 'work' && v.metricName === 'cronkit_run_duration_seconds_count')?.value ?? 0;
		const [countedBefore, observedBefore] = [await counted(), await observed()];
		await t.sql`
			insert into cron_job_execution (job_id, trigger, run_at, status)
			select 'work', 'manual', now(), 'queued' from generate_series(1, 200)`;
		await eventually(async () => (await statuses()).succeeded === 200, 30_000);
		expect(await statuses()).toEqual({ succeeded: 200 });
		// Each handler ran once: no run was claimed twice, none was lost.
		expect(calls.size).toBe(200);
		expect([...calls.values()].every((n) => n === 1)).toBe(true);
		// The metrics count each run once, batches and retried statements alike.
		expect((await counted()) - countedBefore).toBe(200);
		expect((await observed()) - observedBefore).toBe(200);
		// The faults were spent: three statements failed and were retried.
		const [{ left }] = await t.sql<[{ left: number }]>`select last_value::int as left from test_fault_settle_seq`;
		expect(left).toBeGreaterThan(0);
		// Runs were claimed by the statements that settled others: same transaction, same now().
		const [{ refilled }] = await t.sql<[{ refilled: number }]>`
			select count(*)::int as refilled from cron_job_execution c
			where exists (select 1 from cron_job_execution s where s.finished_at = c.started_at)`;
		expect(refilled).toBeGreaterThan(100);
	});

	it('plans the claim once per connection: the statements that claim run on generic plans, whatever their limit', async () => {
		await a.scheduler.stop();
		// One connection, so its prepared statements are the ones pg_prepared_statements shows.
		const one = t.pool(1);
		await t.sql`insert into cron_job_execution (job_id, trigger, run_at, status) select 'work', 'manual', now(), 'queued' from generate_series(1, 300)`;
		const claimed: number[] = [];
		for (let i = 1; i <= 12; i++) {
			const claim = await claimQueued(one, i, 'plan-test', 60_000);
			expect(claim.runs).toHaveLength(i);
			claimed.push(...claim.runs.map((r) => r.id));
		}
		for (let i = 0; i < 12; i++) {
			const batch = claimed.splice(0, 6);
			const done = batch.map((id) => ({ id, status: 'succeeded' as const, durationMs: 1, output: null, result: null, errorMessage: null, errorStack: null, release: true, owner: 'plan-test' }));
			const { settled, claim } = await settle(one, done, { jobState: 'caller', claim: { limit: (i % 5) + 1, instanceId: 'plan-test', leaseMs: 60_000 } });
			expect(settled.every((s) => s.transitioned)).toBe(true);
			expect(claim!.runs).toHaveLength((i % 5) + 1);
			claimed.push(...claim!.runs.map((r) => r.id));
		}
		const plans = await one<{ kind: string; generic: number; custom: number }[]>`
			select case when statement like '%with input as%' then 'settle' else 'claim' end as kind,
				generic_plans::int as generic, custom_plans::int as custom
			from pg_prepared_statements
			where statement like '%cronkit_claim_candidates%' and statement not like '%pg_prepared_statements%'`;
		expect(plans.map((p) => p.kind).sort()).toEqual(['claim', 'settle']);
		// PostgreSQL tries custom plans for the first five executions, then keeps the generic
		// one when it costs no more: every later call skips planning.
		for (const p of plans) {
			expect(p.custom, p.kind).toBeLessThanOrEqual(5);
			expect(p.generic, p.kind).toBeGreaterThanOrEqual(7);
		}
		// Claimed in claim order (run_at, id), none twice.
		expect(new Set(claimed).size).toBe(claimed.length);
	});

	it('stores each outcome field as given, in batches where a field is null for every run or only for some', async () => {
		const ids = (
			await t.sql<{ id: number }[]>`
				insert into cron_job_execution (job_id, trigger, run_at, status, started_at, instance_id, lease_expires_at)
				select 'work', 'manual', now(), 'running', now(), 'fields', now() + interval '1 minute' from generate_series(1, 4)
				returning id`
		).map((r) => r.id);
		const bare = (id: number) => ({ id, status: 'succeeded' as const, durationMs: 3, output: null, result: null, errorMessage: null, errorStack: null, release: true, owner: 'fields' });
		// Every optional field null in the whole batch.
		await settle(t.sql, [bare(ids[0]!), bare(ids[1]!)], { jobState: 'caller' });
		// One run with every field set beside one with none.
		await settle(
			t.sql,
			[
				{
					...bare(ids[2]!),
					status: 'failed',
					output: { text: 'out', bytes: 3, tailAt: null },
					result: { n: 1 },
					errorMessage: 'boom',
					errorStack: 'Error: boom',
					process: { exitCode: 2, signal: null, cpuMs: 7, maxRssKb: 1024 }
				},
				bare(ids[3]!)
			],
			{ jobState: 'caller' }
		);
		const rows = await t.sql`
			select id, status, duration_ms, output, output_bytes, result, error_message, error_stack, exit_code, signal, cpu_ms, max_rss_kb, exclusive, lease_expires_at
			from cron_job_execution where id = any(${ids}) order by id`;
		const none = { status: 'succeeded', duration_ms: 3, output: null, output_bytes: null, result: null, error_message: null, error_stack: null, exit_code: null, signal: null, cpu_ms: null, max_rss_kb: null, exclusive: false, lease_expires_at: null };
		expect(rows[0]).toMatchObject(none);
		expect(rows[1]).toMatchObject(none);
		expect(rows[2]).toMatchObject({ status: 'failed', output: 'out', output_bytes: 3, result: { n: 1 }, error_message: 'boom', error_stack: 'Error: boom', exit_code: 2, signal: null, cpu_ms: 7, max_rss_kb: 1024 });
		expect(rows[3]).toMatchObject(none);
	});
});
