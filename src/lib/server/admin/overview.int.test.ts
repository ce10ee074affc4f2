import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { instance, type Instance } from '../../../../tests/helpers/scheduler';
import { overview } from './overview';

describe('the overview', () => {
	let t: TestDatabase;
	let a: Instance;
	const actor = { name: 'tester' };
	beforeAll(async () => {
		t = await createTestDatabase();
		a = instance(t, []);
		for (const key of ['fast', 'slow', 'off']) {
			await a.service.createJob({ key, name: key, type: 'http', schedule: '0 0 1 1 *', params: { url: 'http://127.0.0.1:9/' }, enabled: key !== 'off' }, actor);
		}
		// Two days ago (outside the window), then within the last hours.
		await t.sql`insert into cron_job_execution (job_id, trigger, run_at, status, duration_ms, created_at)
			values ('fast', 'manual', now(), 'failed', 10, now() - interval '2 days')`;
		await t.sql`insert into cron_job_execution (job_id, trigger, run_at, status, duration_ms, created_at) values
			('fast', 'manual', now(), 'succeeded', 10, now() - interval '3 hours'),
			('fast', 'manual', now(), 'failed', 20, now() - interval '3 hours'),
			('slow', 'schedule', now(), 'timed_out', 9000, now() - interval '1 hour'),
			('slow', 'schedule', now(), 'missed', null, now() - interval '1 hour'),
			('slow', 'manual', now(), 'succeeded', 5000, now())`;
	});
	afterAll(async () => {
		await t.drop();
	});

	it('counts the last 24 hours by hour and status, and ranks the slowest and most failing jobs', async () => {
		const o = await overview({ cron: a.service, sql: t.sql });
		expect(o.hours).toHaveLength(24);
		expect(o.runs).toBe(5);
		expect(o.failures).toBe(2);
		expect(o.missed).toBe(1);
		const byHour = o.hours.map((h) => Object.values(h.counts).reduce((n, c) => n + (c ?? 0), 0));
		expect(byHour.slice(-4)).toEqual([2, 0, 2, 1]);
		expect(o.hours.at(-4)!.counts).toEqual({ succeeded: 1, failed: 1 });
		expect(o.slowest.map((s) => [s.key, s.maxMs])).toEqual([
			['slow', 9000],
			['fast', 20]
		]);
		expect(o.failing).toEqual([
			{ key: 'fast', failures: 1, runs: 2 },
			{ key: 'slow', failures: 1, runs: 3 }
		]);
		expect(o.states).toMatchObject({ idle: 2, disabled: 1 });
		expect(o.next.map((n) => n.key).sort()).toEqual(['fast', 'slow']);
	});
});
