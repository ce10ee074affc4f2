/**
 * POST /api/cron/run for hosts without a long-running scheduler (CRON_ROLE=web): due ticks and
 * due queued runs run within a time budget; runs still going keep their leases and finish.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { eventually, instance, sleep, type Instance } from '../../../../tests/helpers/scheduler';
import { syncCodeJobs } from './jobs';
import { defineJob } from './types';

let t: TestDatabase;
let web: Instance;

beforeAll(async () => {
	t = await createTestDatabase();
	const defs = [
		defineJob({ key: 'slow', name: 'Slow', schedule: '0 0 1 1 *', handler: () => sleep(2_000) }),
		defineJob({ key: 'quick', name: 'Quick', schedule: '* * * * *', handler: () => undefined })
	];
	web = instance(t, defs, { leaseMs: 900, concurrency: 1 });
	// As a web-role runtime does: code jobs synced, the scheduler never started.
	await syncCodeJobs(t.sql, defs);
});
afterAll(async () => {
	await web.scheduler.close(5_000);
	await t.drop();
});

it('runs due ticks and queued runs within the budget, reports what is still going and what it left', async () => {
	// The minute job has owed ticks for 10 minutes: the latest runs, the rest follow its policy.
	await t.sql`update cron_job set ticks_owed_since = now() - interval '10 minutes' where key = 'quick'`;
	const slow1 = await web.service.trigger('slow', 'api', { name: 'test' });
	const slow2 = await web.service.trigger('slow', 'api', { name: 'test' });
	const began = Date.now();
	const res = await web.service.runDue({ budgetMs: '300' });
	expect(Date.now() - began).toBeLessThan(1_500);
	expect(res.ran.filter((r) => r.jobKey === 'quick' && r.status === 'succeeded')).toHaveLength(1);
	expect(res.running).toEqual([{ id: slow1.id, jobKey: 'slow' }]);
	// One at a time here (concurrency 1): the second queued run is left for later.
	expect(res.left).toBe(1);
	// Its lease (900 ms) is renewed while it runs past the answer: it finishes, not interrupted.
	await eventually(async () => (await scalar<string>(t.sql`select status from cron_job_execution where id = ${slow1.id}`)) === 'succeeded', 10_000);
	const missed = await scalar<number>(t.sql`select count(*)::int from cron_job_execution where job_id = 'quick' and status = 'missed'`);
	const caughtUp = await scalar<number>(t.sql`select count(*)::int from cron_job_execution where job_id = 'quick' and trigger = 'catch_up'`);
	expect(missed + caughtUp).toBeGreaterThanOrEqual(8);
	expect(await scalar<string>(t.sql`select status from cron_job_execution where id = ${slow2.id}`)).toBe('queued');
	await expect(web.service.runDue({ budgetMs: 'soon' })).rejects.toMatchObject({ status: 400, issues: [{ path: 'budgetMs' }] });
});
