import postgres from 'postgres';
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

	it('reads every status through an index or a bounded scan: the status index leaves out running and succeeded runs', async () => {
		// Runs of `beta` in the two statuses the status index leaves out, and one queued.
		const extra = await t.sql<{ id: number; status: string }[]>`
			insert into cron_job_execution (job_id, trigger, run_at, status, started_at, instance_id, lease_expires_at)
			select 'beta', 'manual', now(), s, case when s = 'queued' then null else now() end, 'i1',
				case when s = 'running' then now() + interval '1 minute' end
			from unnest(array['running', 'queued', 'succeeded', 'running']) s
			returning id, status`;
		expect(extra).toHaveLength(4);
		const statuses = ['running', 'queued', 'succeeded', 'failed'] as const;
		const expected: Record<string, number[]> = {};
		for (const status of statuses) {
			expected[status] = (await t.sql<{ id: number }[]>`
				select id from cron_job_execution where status = ${status} order by id desc limit 25`).map((r) => r.id);
			expect(expected[status]!.length, status).toBeGreaterThan(0);
			const page = await listExecutions(t.sql, { status }, {});
			expect(page.executions.map((r) => r.id), status).toEqual(expected[status]);
			const api = await listExecutionViews(t.sql, { status }, {}, { budget: null });
			expect(api.executions.map((r) => r.id), status).toEqual(expected[status]);
		}
		// `succeeded` is read along the primary key within the scan budget, and pages on.
		const bounded = await listExecutions(t.sql, { status: 'succeeded' }, {}, { limit: 25, budget: 6 });
		expect(bounded.scanned).toBe(6);
		expect(bounded.executions.map((r) => r.id)).toEqual(expected.succeeded!.filter((id) => id > bounded.older!));
		expect(bounded.executions.length).toBeGreaterThan(0);
		expect(bounded.partial).toBe(true);

		// Each statement a status filter sends can ride an index, also as a generic plan (what a
		// prepared statement gets after a few calls): with sequential scans priced out the plan
		// still reads an index, and the one expected.
		const sent: { query: string; params: unknown[]; types: number[] }[] = [];
		const spy = t.track(
			postgres(t.url, { max: 1, onnotice: () => {}, debug: (_c, query, params, types) => sent.push({ query, params: params as unknown[], types: types as number[] }) })
		);
		const plans: Record<string, string> = {};
		for (const status of ['failed', 'queued', 'running', 'cancelled'] as const) {
			sent.length = 0;
			await listExecutions(spy, { status }, {});
			const statement = sent.find((q) => /from cron_job_execution/.test(q.query) && /order by id/.test(q.query))!;
			plans[status] = await t.sql.begin(async (tx) => {
				await tx`set local enable_seqscan = off`;
				await tx`set local plan_cache_mode = force_generic_plan`;
				const types = await tx<{ t: string }[]>`select format_type(o, null) as t from unnest(${statement.types}::oid[]) with ordinality u(o, n) order by n`;
				await tx.unsafe(`prepare status_page${types.length ? `(${types.map((r) => r.t).join(', ')})` : ''} as ${statement.query}`);
				const args = statement.params.map((p) => `'${String(p).replaceAll("'", "''")}'`).join(', ');
				const [row] = await tx.unsafe(`explain (format json) execute status_page${args ? `(${args})` : ''}`);
				await tx`deallocate status_page`;
				return JSON.stringify(row);
			});
			expect(plans[status], status).not.toContain('Seq Scan');
		}
		expect(plans.failed).toContain('cron_job_execution_status_idx');
		expect(plans.queued).toContain('cron_job_execution_status_idx');
		expect(plans.cancelled).toContain('cron_job_execution_status_idx');
		expect(plans.running).toContain('cron_job_execution_running_idx');
	});
});
