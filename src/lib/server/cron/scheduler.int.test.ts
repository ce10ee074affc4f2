import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { eventually, finishedRun, instance, type Instance } from '../../../../tests/helpers/scheduler';
import * as ledger from './ledger';
import { defineJob } from './types';

describe('scheduler basics', () => {
	let t: TestDatabase;
	let a: Instance;
	const ran: number[] = [];
	beforeAll(async () => {
		t = await createTestDatabase();
		a = instance(t, [
			defineJob({
				key: 'every-second',
				name: 'Every second',
				schedule: '* * * * * *',
				handler: ({ execution, log }) => {
					ran.push(execution.id);
					log('hello', { n: 1 });
					return { message: 'done', metrics: { n: 1 } };
				}
			}),
			defineJob({ key: 'echo-params', name: 'Echo params', schedule: '0 0 1 1 *', handler: ({ params }) => ({ message: JSON.stringify(params) }) })
		]);
		await a.scheduler.start();
	});
	afterAll(async () => {
		await a.scheduler.close();
		await t.drop();
	});

	it('runs a code job every second and records output, result and job state', async () => {
		await eventually(async () => ran.length >= 2);
		// The handler has returned; its outcome is written a moment later (group commit).
		const row = await eventually(async () => {
			const [r] = await t.sql`
				select status, trigger, output, result, jsonb_typeof(result) as kind from cron_job_execution
				where job_id = 'every-second' and status = 'succeeded' order by id limit 1`;
			return r;
		});
		expect(row).toMatchObject({ status: 'succeeded', trigger: 'schedule', output: 'hello { n: 1 }\n', kind: 'object' });
		expect(row!.result).toEqual({ message: 'done', metrics: { n: 1 } });
		// The job's state follows its runs within a second (job-state.ts).
		const job = await eventually(async () => {
			const j = await a.service.getJob('every-second');
			return j.lastStatus === 'succeeded' ? j : null;
		}, 5_000);
		expect(job.lastStatus).toBe('succeeded');
		expect(job.consecutiveFailures).toBe(0);
		expect(Date.parse(job.nextRunAt!)).toBeGreaterThan(Date.now() - 1000);
	});

	it('stores settings, params and audit entries as JSON objects, not strings', async () => {
		await a.service.updateSettings({ 'executions.retentionDays': 12 }, { name: 'tester' });
		expect((await a.service.settings())['executions.retentionDays']).toBe(12);
		expect(await scalar(t.sql`select jsonb_typeof(value) from cron_job_config where key = 'executions.retentionDays'`)).toBe('number');
		expect(await scalar(t.sql`select jsonb_typeof(after) from audit_log where action = 'settings.update'`)).toBe('object');
		expect(await scalar(t.sql`select jsonb_typeof(code_defaults) from cron_job where key = 'every-second'`)).toBe('object');
		await a.service.createJob(
			{ key: 'ping', name: 'Ping', type: 'http', schedule: '0 0 1 1 *', params: { url: 'http://127.0.0.1:9/' } },
			{ name: 'tester' }
		);
		expect(await scalar(t.sql`select params->>'method' from cron_job where key = 'ping'`)).toBe('GET');
	});

	it('runs a queued run with the job as it is now, even before this instance heard of the change', async () => {
		// Changed behind the scheduler's back: no change notice reaches it.
		await t.sql`update cron_job set params = ${t.sql.json({ word: 'after' })}, updated_at = now() where key = 'echo-params'`;
		const queued = await a.service.trigger('echo-params', 'manual', { name: 'tester' });
		const done = await finishedRun(a.service, queued.id);
		expect(done.status).toBe('succeeded');
		expect(done.result).toEqual({ message: JSON.stringify({ word: 'after' }) });
	});

	it('fails a queued run whose job cannot be loaded, naming why, and goes on running jobs', async () => {
		// The instance's copy is older than the row, so the run reloads it; the reload's statement fails.
		await t.sql`update cron_job set updated_at = now() where key = 'echo-params'`;
		await t.sql`alter table cron_job rename column params to params_away`;
		let failed: { status: string; error_message: string } | undefined;
		try {
			const [queued] = await ledger.enqueue(t.sql, [{ jobKey: 'echo-params', trigger: 'manual', triggeredBy: 'tester' }]);
			failed = await eventually(async () => {
				const [r] = await t.sql<{ status: string; error_message: string }[]>`
					select status, error_message from cron_job_execution where id = ${queued!.id} and status not in ('queued', 'running')`;
				return r;
			});
		} finally {
			await t.sql`alter table cron_job rename column params_away to params`;
		}
		expect(failed).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/^could not load job echo-params: /) });
		const next = await a.service.trigger('echo-params', 'manual', { name: 'tester' });
		expect((await finishedRun(a.service, next.id)).status).toBe('succeeded');
	});
});
