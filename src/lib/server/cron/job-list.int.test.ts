/**
 * The admin list at any size: the SQL state filter (`stateWhere`) agrees with `jobState` for
 * every state, with and without the global pause; sorts and pages; the bulk actions and Retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { instance, type Instance } from '../../../../tests/helpers/scheduler';
import { JOB_STATES } from '../../names';
import { ServiceError } from '../errors';

const actor = { name: 'tester' };

async function caught(fn: () => Promise<unknown>): Promise<ServiceError> {
	try {
		await fn();
	} catch (err) {
		expect(err).toBeInstanceOf(ServiceError);
		return err as ServiceError;
	}
	throw new Error('expected a ServiceError');
}

describe('job list, bulk actions and Retry', () => {
	let t: TestDatabase;
	let a: Instance;
	const create = (key: string, fields: Record<string, unknown> = {}) =>
		a.service.createJob({ key, name: `Job ${key}`, type: 'http', schedule: '0 0 1 1 *', params: { url: 'http://127.0.0.1:9/' }, ...fields }, actor);

	beforeAll(async () => {
		t = await createTestDatabase();
		a = instance(t, []);
		// Daily, two and three hours on from the current hour: idle-a's next run comes first at any
		// time of day (fixed hours swapped order once the earlier hour had passed today).
		const hour = new Date().getUTCHours();
		await create('idle-b', { name: 'Zulu', schedule: `0 ${(hour + 3) % 24} * * *`, timezone: 'UTC' });
		await create('idle-a', { name: 'Yankee', schedule: `0 ${(hour + 2) % 24} * * *`, timezone: 'UTC' });
		await create('off', { enabled: false });
		await create('failing');
		await create('broken');
		await create('busy');
		await t.sql`update cron_job set consecutive_failures = 2 where key = 'failing'`;
		await t.sql`update cron_job set config_error = 'no handler' where key = 'broken'`;
		await t.sql`insert into cron_job_execution (job_id, trigger, run_at, status, started_at, instance_id, lease_expires_at)
			values ('busy', 'manual', now(), 'running', now(), 'elsewhere', now() + interval '1 hour')`;
	});
	afterAll(async () => {
		await t.drop();
	});

	const page = (query: Partial<Parameters<Instance['service']['listJobPage']>[0]> = {}) =>
		a.service.listJobPage({ sort: 'key', offset: 0, limit: 50, ...query });

	for (const paused of [false, true]) {
		it(`every state filter in SQL keeps the jobs whose state it is (pause ${paused ? 'on' : 'off'}), and the counts agree`, async () => {
			await a.service.updateSettings({ 'scheduler.paused': paused }, actor);
			const views = await a.service.listJobs();
			const counts = await a.service.jobStateCounts();
			for (const state of JOB_STATES) {
				const expected = views.filter((v) => v.state === state).map((v) => v.key);
				const got = await page({ state });
				expect(got.jobs.map((j) => j.key), state).toEqual(expected);
				expect(got.jobs.every((j) => j.state === state), state).toBe(true);
				expect(got.matching, state).toBe(expected.length);
				expect(counts[state], state).toBe(expected.length);
			}
			expect(views.find((v) => v.key === 'idle-a')!.state).toBe(paused ? 'paused' : 'idle');
			expect(views.find((v) => v.key === 'off')!.state).toBe('disabled');
			expect(views.find((v) => v.key === 'failing')!.state).toBe('failing');
			expect(views.find((v) => v.key === 'busy')!.state).toBe('running');
			expect(views.find((v) => v.key === 'broken')!.state).toBe('misconfigured');
		});
	}

	it('sorts by key, name or next run and cuts pages, counting every match', async () => {
		expect((await page()).jobs.map((j) => j.key)).toEqual(['broken', 'busy', 'failing', 'idle-a', 'idle-b', 'off']);
		expect((await page({ sort: 'name' })).jobs.slice(-2).map((j) => j.key)).toEqual(['idle-a', 'idle-b']);
		const next = (await page({ sort: 'next', q: 'idle' })).jobs.map((j) => j.key);
		expect(next).toEqual(['idle-a', 'idle-b']);
		const second = await page({ offset: 2, limit: 2 });
		expect(second.jobs.map((j) => j.key)).toEqual(['failing', 'idle-a']);
		expect(second).toMatchObject({ matching: 6, total: 6 });
		expect(await page({ q: 'idle', limit: 1 })).toMatchObject({ matching: 2, total: 6 });
	});

	it('later pages (rows read by key after an index-only cut) add up to the whole list in every sort', async () => {
		for (const sort of ['key', 'name', 'next'] as const) {
			const all = (await page({ sort })).jobs.map((j) => j.key);
			const paged: string[] = [];
			for (let offset = 0; offset < all.length; offset += 2) paged.push(...(await page({ sort, offset, limit: 2 })).jobs.map((j) => j.key));
			expect(paged).toEqual(all);
		}
		expect(await page({ sort: 'name', q: 'idle', offset: 1, limit: 1 })).toMatchObject({ jobs: [{ key: 'idle-b' }], matching: 2 });
	});

	it('counts a filtered list when the page is full or past the end, and takes a short page as the end', async () => {
		expect(await page({ q: 'idle', limit: 2 })).toMatchObject({ matching: 2 });
		expect(await page({ q: 'idle', offset: 10, limit: 2 })).toMatchObject({ jobs: [], matching: 2 });
		expect(await page({ q: 'idle', offset: 1, limit: 2 })).toMatchObject({ jobs: [{ key: 'idle-b' }], matching: 2 });
		expect(await page({ state: 'failing', offset: 0, limit: 1 })).toMatchObject({ jobs: [{ key: 'failing' }], matching: 1 });
		expect(await page({ q: 'nothing-like-this' })).toMatchObject({ jobs: [], matching: 0 });
	});

	it('bulk Run now queues one manual run per job; an unknown key refuses the whole batch naming it', async () => {
		const err = await caught(() => a.service.triggerMany(['idle-a', 'nope'], actor));
		expect(err.status).toBe(404);
		expect(err.message).toContain('"nope"');
		expect((await a.service.listExecutions({ jobKey: 'idle-a' }, {})).executions).toHaveLength(0);
		const runs = await a.service.triggerMany(['idle-a', 'idle-b', 'idle-a'], actor);
		expect(runs.map((r) => r.jobKey).sort()).toEqual(['idle-a', 'idle-b']);
		const [run] = (await a.service.listExecutions({ jobKey: 'idle-a' }, {})).executions;
		expect(run).toMatchObject({ trigger: 'manual', status: 'queued', triggeredBy: 'tester' });
		expect((await caught(() => a.service.triggerMany([], actor))).status).toBe(400);
	});

	it('bulk Enable/Disable changes only what differs, each change audited', async () => {
		expect(await a.service.setEnabledMany(['off', 'idle-a'], false, actor)).toEqual(['idle-a']);
		expect(await a.service.setEnabledMany(['off', 'idle-a'], true, actor)).toEqual(['idle-a', 'off']);
		const audited = await t.sql<{ action: string }[]>`select action from audit_log where entity = 'cron_job' and entity_id = 'idle-a' and action like 'job.%able' order by id`;
		expect(audited.map((r) => r.action)).toEqual(['job.disable', 'job.enable']);
	});

	it('Retry: a new manual run, attempt 1, retry_of the failed one; a run that did not fail is a 409', async () => {
		const [failed] = await t.sql<{ id: number }[]>`insert into cron_job_execution (job_id, trigger, run_at, status, attempt, finished_at)
			values ('failing', 'schedule', now(), 'failed', 3, now()) returning id`;
		const retry = await a.service.retryExecution(failed!.id, actor);
		expect(retry).toMatchObject({ jobKey: 'failing', status: 'queued', retryOf: failed!.id });
		expect(await a.service.getExecution(retry.id)).toMatchObject({ trigger: 'manual', attempt: 1, retryOf: failed!.id, triggeredBy: 'tester' });
		expect((await caught(() => a.service.retryExecution(retry.id, actor))).status).toBe(409);
	});
});
