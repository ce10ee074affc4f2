import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { failNext, installFaults } from '../../../../tests/helpers/db-faults';
import { eventually, instance, type Instance } from '../../../../tests/helpers/scheduler';
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
		await t.sql`
			insert into cron_job_execution (job_id, trigger, run_at, status)
			select 'work', 'manual', now(), 'queued' from generate_series(1, 200)`;
		await eventually(async () => (await statuses()).succeeded === 200, 30_000);
		expect(await statuses()).toEqual({ succeeded: 200 });
		// Each handler ran once: no run was claimed twice, none was lost.
		expect(calls.size).toBe(200);
		expect([...calls.values()].every((n) => n === 1)).toBe(true);
		// The faults were spent: three statements failed and were retried.
		const [{ left }] = await t.sql<[{ left: number }]>`select last_value::int as left from test_fault_settle_seq`;
		expect(left).toBeGreaterThan(0);
		// Runs were claimed by the statements that settled others: same transaction, same now().
		const [{ refilled }] = await t.sql<[{ refilled: number }]>`
			select count(*)::int as refilled from cron_job_execution c
			where exists (select 1 from cron_job_execution s where s.finished_at = c.started_at)`;
		expect(refilled).toBeGreaterThan(100);
	});
});
