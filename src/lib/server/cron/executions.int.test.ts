import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { historyFixture } from '../../../../tests/helpers/history';
import type { Instance } from '../../../../tests/helpers/scheduler';
import { idRange, listExecutions, listExecutionViews, retryChain } from './executions';

describe('execution history', () => {
	let t: TestDatabase;
	let a: Instance;
	let ids: number[];
	beforeAll(async () => {
		t = await createTestDatabase();
		({ a, ids } = await historyFixture(t));
	});
	afterAll(async () => {
		await t.drop();
	});

	it('pages a job’s history newest first with Older/Newer cursors', async () => {
		const first = await listExecutions(t.sql, { job: 'alpha' }, {}, { limit: 25 });
		expect(first.executions.map((r) => r.id)).toEqual([...ids].reverse().slice(0, 25));
		expect(first.newer).toBeNull();
		expect(first.older).toBe(ids[35]);
		const second = await listExecutions(t.sql, { job: 'alpha' }, { before: first.older! }, { limit: 25 });
		expect(second.executions.map((r) => r.id)).toEqual([...ids].reverse().slice(25, 50));
		expect(second.newer).toBe(ids[34]);
		const back = await listExecutions(t.sql, { job: 'alpha' }, { after: second.newer! }, { limit: 25 });
		expect(back.executions.map((r) => r.id)).toEqual(first.executions.map((r) => r.id));
		expect(back.newer).toBeNull();
		const last = await listExecutions(t.sql, { job: 'alpha' }, { before: second.older! }, { limit: 25 });
		expect(last.executions).toHaveLength(10);
		expect(last.older).toBeNull();
	});

	it('filters by status and trigger, and a scan budget bounds what one page reads', async () => {
		const failed = await listExecutions(t.sql, { job: 'alpha', status: 'failed' }, {}, { limit: 5 });
		expect(failed.executions.every((r) => r.status === 'failed')).toBe(true);
		expect(failed.executions).toHaveLength(5);
		const manual = await listExecutions(t.sql, { trigger: 'manual' }, {}, { limit: 25 });
		expect(manual.executions.map((r) => r.id)).toEqual(ids.filter((_, i) => (i + 1) % 10 === 0).reverse());
		// With a budget of 8 rows, the page stops early and says where to go on.
		const bounded = await listExecutions(t.sql, { trigger: 'manual' }, {}, { limit: 25, budget: 8 });
		expect(bounded.partial).toBe(true);
		expect(bounded.scanned).toBe(8);
		expect(bounded.executions.map((r) => r.id)).toEqual([ids[59]]);
		expect(bounded.older).toBe(ids[52]);
		const next = await listExecutions(t.sql, { trigger: 'manual' }, { before: bounded.older! }, { limit: 25, budget: 8 });
		expect(next.executions.map((r) => r.id)).toEqual([ids[49]]);
		const none = await listExecutions(t.sql, { job: 'beta', status: 'failed' }, {});
		expect(none.executions).toEqual([]);
		expect(none.older).toBeNull();
	});

	it('turns a time range into an id range by binary search and filters with it', async () => {
		const from = new Date('2025-01-01T00:10:00Z');
		const to = new Date('2025-01-01T00:20:00Z');
		const range = await idRange(t.sql, from, to);
		expect(range).toEqual({ lo: ids[9], hi: ids[19] });
		const page = await listExecutions(t.sql, { from, to });
		expect(page.executions.map((r) => r.id)).toEqual(ids.slice(9, 19).reverse());
		expect(await idRange(t.sql, new Date('2030-01-01'), undefined)).toEqual({ lo: ids[59]! + 1 });
		expect(await idRange(t.sql, to, from)).toBeNull();
		expect((await listExecutions(t.sql, { from: new Date('2030-01-01') })).executions).toEqual([]);
	});

	it('gives the API whole executions and full pages: no scan budget, every filter applied in the statement', async () => {
		const page = await listExecutionViews(t.sql, { job: 'alpha', trigger: 'manual' }, {}, { limit: 2, budget: null });
		expect(page.executions.map((e) => e.id)).toEqual([ids[59], ids[49]]);
		expect(page.scanned).toBeNull();
		expect(page.older).toBe(ids[49]);
		expect(page.executions[0]).toMatchObject({ jobKey: 'alpha', trigger: 'manual', status: 'failed', output: null, errorStack: null, retryOf: null });
		expect(page.executions[0]!.runAt).toBe('2025-01-01T01:00:00.000Z');
		const api = await a.service.listExecutions({ jobKey: 'alpha' }, { trigger: 'manual', limit: '2', cursor: String(ids[49]) });
		expect(api.executions.map((e) => e.id)).toEqual([ids[39], ids[29]]);
		expect(api.nextCursor).toBe(ids[29]);
	});

	it('follows a retry chain both ways', async () => {
		const [first] = await t.sql<{ id: number }[]>`
			insert into cron_job_execution (job_id, trigger, run_at, status, attempt) values ('beta', 'manual', now(), 'failed', 1) returning id`;
		const [second] = await t.sql<{ id: number }[]>`
			insert into cron_job_execution (job_id, trigger, run_at, status, attempt, retry_of) values ('beta', 'retry', now(), 'failed', 2, ${first!.id}) returning id`;
		const [third] = await t.sql<{ id: number }[]>`
			insert into cron_job_execution (job_id, trigger, run_at, status, attempt, retry_of) values ('beta', 'retry', now(), 'succeeded', 3, ${second!.id}) returning id`;
		const chain = await retryChain(t.sql, { id: second!.id, jobKey: 'beta' });
		expect(chain.map((c) => [c.id, c.attempt])).toEqual([
			[first!.id, 1],
			[second!.id, 2],
			[third!.id, 3]
		]);
	});

});
