import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { eventually, instance, type Instance } from '../../../../tests/helpers/scheduler';
import * as ledger from './ledger';
import { parseRunsPayload, RUNS_CHANNEL, type RunsPayload } from './run-events';
import { defineJob } from './types';

describe('run state notifications (cronkit_runs)', () => {
	let t: TestDatabase;
	let a: Instance;
	const heard: RunsPayload[] = [];
	let unlisten: () => Promise<void>;
	beforeAll(async () => {
		t = await createTestDatabase();
		a = instance(t, [
			defineJob({ key: 'quick', name: 'Quick', schedule: '0 0 1 1 *', handler: () => ({ message: 'ok' }) }),
			defineJob({ key: 'flaky', name: 'Flaky', schedule: '0 0 1 1 *', maxRetries: 1, handler: () => Promise.reject(new Error('boom')) }),
			defineJob({ key: 'many', name: 'Many', schedule: '0 0 1 1 *', overlap: 'allow', handler: () => undefined })
		]);
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

	const statusesOf = (id: number) =>
		heard.flatMap((p) => ('runs' in p ? p.runs.filter(([rid]) => rid === id).map(([, , status]) => status) : []));

	it('announces a triggered run when it is claimed and when it settles', async () => {
		const { id } = await a.service.trigger('quick', 'manual', { name: 'tester' });
		await eventually(async () => statusesOf(id).includes('succeeded'));
		expect(statusesOf(id)).toEqual(['running', 'succeeded']);
		const run = heard.flatMap((p) => ('runs' in p ? p.runs : [])).find(([rid]) => rid === id);
		expect(run?.[1]).toBe('quick');
	});

	it('announces the durable retry row a failure creates', async () => {
		const { id } = await a.service.trigger('flaky', 'manual', { name: 'tester' });
		await eventually(async () => statusesOf(id).includes('failed'));
		const retry = heard.flatMap((p) => ('runs' in p ? p.runs : [])).find(([rid, key, status]) => rid > id && key === 'flaky' && status === 'queued');
		expect(retry).toBeDefined();
	});

	it('sends only the count when a batch would not fit in one notification', async () => {
		await a.scheduler.stop(1_000);
		heard.length = 0;
		await t.sql`
			insert into cron_job_execution (job_id, trigger, run_at, status)
			select 'many', 'manual', now(), 'queued' from generate_series(1, 400)`;
		const { runs: claimed } = await ledger.claimQueued(t.sql, 400, 'bulk', 30_000);
		expect(claimed).toHaveLength(400);
		await eventually(async () => heard.some((p) => 'n' in p && p.n === 400));
	});

	it('does not notify for a claim that took nothing', async () => {
		heard.length = 0;
		expect((await ledger.claimQueued(t.sql, 10, 'bulk', 30_000)).runs).toEqual([]);
		const tick = { jobKey: 'quick', scheduledFor: new Date('2020-01-01T00:00:00Z'), overlap: 'forbid' as const };
		const o = { instanceId: 'x', leaseMs: 1000, paused: false, leadMs: 0, lateMs: 10 * 365 * 24 * 3600_000 };
		const [first] = (await ledger.claimTicks(t.sql, [tick], o)).claimed;
		expect(first).toBeDefined();
		// the same tick again: the insert yields no row, so no notification. Another instance
		// gets nothing; the instance that holds it (an answer it lost) gets its own row back.
		expect((await ledger.claimTicks(t.sql, [tick], { ...o, instanceId: 'y' })).claimed).toHaveLength(0);
		expect((await ledger.claimTicks(t.sql, [tick], o)).claimed.map((r) => r.id)).toEqual([first!.id]);
		await eventually(async () => heard.length >= 1);
		await new Promise((r) => setTimeout(r, 200));
		expect(heard).toHaveLength(1);
	});
});
