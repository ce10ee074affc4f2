import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { instance, type Instance } from '../../../../tests/helpers/scheduler';
import { syncCodeJobs } from '../cron/jobs';
import { ALERTS_CHANNEL } from '../alerts/signal';
import { RUNS_CHANNEL } from '../cron/run-events';
import { defineJob } from '../cron/types';
import { listAudit } from './audit';
import { retryChain } from './execution';
import { loadJobList } from './jobs';
import { LiveHub } from './live';
import { createSession, invalidateSession } from '../auth/session';
import { executionsPage, jobPage } from './pages';
import { idRange, listRuns } from './runs';
import { jobStats } from './stats';

const noop = () => undefined;

describe('admin read model', () => {
	let t: TestDatabase;
	let a: Instance;
	const ids: number[] = [];
	beforeAll(async () => {
		t = await createTestDatabase();
		const defs = [
			defineJob({ key: 'alpha', name: 'Alpha', schedule: '0 0 1 1 *', handler: noop }),
			defineJob({ key: 'beta', name: 'Beta job', schedule: '*/5 * * * *', handler: noop })
		];
		// The scheduler is never started: runs are written directly, every status and trigger under control.
		a = instance(t, defs);
		await syncCodeJobs(t.sql, defs);
		// 60 runs of alpha, 1 minute apart, oldest first: every 3rd failed, every 10th manual.
		const rows = await t.sql<{ id: number }[]>`
			insert into cron_job_execution (job_id, trigger, scheduled_for, run_at, status, started_at, finished_at, duration_ms, created_at)
			select 'alpha', case when g % 10 = 0 then 'manual' else 'schedule' end,
				case when g % 10 = 0 then null else timestamptz '2025-01-01' + make_interval(mins => g) end,
				timestamptz '2025-01-01' + make_interval(mins => g),
				case when g % 3 = 0 then 'failed' else 'succeeded' end,
				timestamptz '2025-01-01' + make_interval(mins => g), timestamptz '2025-01-01' + make_interval(mins => g, secs => 1), g * 10,
				timestamptz '2025-01-01' + make_interval(mins => g)
			from generate_series(1, 60) g
			order by g
			returning id`;
		ids.push(...rows.map((r) => Number(r.id)));
	});
	afterAll(async () => {
		await t.drop();
	});

	it('pages a job’s history newest first with Older/Newer cursors', async () => {
		const first = await listRuns(t.sql, { job: 'alpha' }, {}, { limit: 25 });
		expect(first.runs.map((r) => r.id)).toEqual([...ids].reverse().slice(0, 25));
		expect(first.newer).toBeNull();
		expect(first.older).toBe(ids[35]);
		const second = await listRuns(t.sql, { job: 'alpha' }, { before: first.older! }, { limit: 25 });
		expect(second.runs.map((r) => r.id)).toEqual([...ids].reverse().slice(25, 50));
		expect(second.newer).toBe(ids[34]);
		const back = await listRuns(t.sql, { job: 'alpha' }, { after: second.newer! }, { limit: 25 });
		expect(back.runs.map((r) => r.id)).toEqual(first.runs.map((r) => r.id));
		expect(back.newer).toBeNull();
		const last = await listRuns(t.sql, { job: 'alpha' }, { before: second.older! }, { limit: 25 });
		expect(last.runs).toHaveLength(10);
		expect(last.older).toBeNull();
	});

	it('filters by status and trigger, and a scan budget bounds what one page reads', async () => {
		const failed = await listRuns(t.sql, { job: 'alpha', status: 'failed' }, {}, { limit: 5 });
		expect(failed.runs.every((r) => r.status === 'failed')).toBe(true);
		expect(failed.runs).toHaveLength(5);
		const manual = await listRuns(t.sql, { trigger: 'manual' }, {}, { limit: 25 });
		expect(manual.runs.map((r) => r.id)).toEqual(ids.filter((_, i) => (i + 1) % 10 === 0).reverse());
		// With a budget of 8 rows, the page stops early and says where to go on.
		const bounded = await listRuns(t.sql, { trigger: 'manual' }, {}, { limit: 25, budget: 8 });
		expect(bounded.partial).toBe(true);
		expect(bounded.scanned).toBe(8);
		expect(bounded.runs.map((r) => r.id)).toEqual([ids[59]]);
		expect(bounded.older).toBe(ids[52]);
		const next = await listRuns(t.sql, { trigger: 'manual' }, { before: bounded.older! }, { limit: 25, budget: 8 });
		expect(next.runs.map((r) => r.id)).toEqual([ids[49]]);
		const none = await listRuns(t.sql, { job: 'beta', status: 'failed' }, {});
		expect(none.runs).toEqual([]);
		expect(none.older).toBeNull();
	});

	it('turns a time range into an id range by binary search and filters with it', async () => {
		const from = new Date('2025-01-01T00:10:00Z');
		const to = new Date('2025-01-01T00:20:00Z');
		const range = await idRange(t.sql, from, to);
		expect(range).toEqual({ lo: ids[9], hi: ids[19] });
		const page = await listRuns(t.sql, { from, to });
		expect(page.runs.map((r) => r.id)).toEqual(ids.slice(9, 19).reverse());
		expect(await idRange(t.sql, new Date('2030-01-01'), undefined)).toEqual({ lo: ids[59]! + 1 });
		expect(await idRange(t.sql, to, from)).toBeNull();
		expect((await listRuns(t.sql, { from: new Date('2030-01-01') })).runs).toEqual([]);
	});

	it('lists every job with its recent success rate in a fixed number of queries', async () => {
		const list = await loadJobList(t.sql, 'UTC', new URLSearchParams());
		expect(list.total).toBe(2);
		const alpha = list.jobs.find((j) => j.key === 'alpha')!;
		// last 10 runs: ids 51..60 → failed at 51, 54, 57, 60
		expect(alpha.success).toEqual({ finished: 10, succeeded: 6, rate: 0.6 });
		expect(list.jobs.find((j) => j.key === 'beta')!.success).toEqual({ finished: 0, succeeded: 0, rate: null });
		expect(alpha.scheduleDescription).toBe('At 00:00, on day 1 of the month, only in January');
		const searched = await loadJobList(t.sql, 'UTC', new URLSearchParams({ q: 'beta' }));
		expect(searched.jobs.map((j) => j.key)).toEqual(['beta']);
		const byState = await loadJobList(t.sql, 'UTC', new URLSearchParams({ state: 'misconfigured' }));
		expect(byState.jobs).toEqual([]);
		// A LIKE wildcard in the search is literal.
		expect((await loadJobList(t.sql, 'UTC', new URLSearchParams({ q: '%' }))).jobs).toEqual([]);
	});

	it('summarises a job’s recent runs (success, p50/p95, runs per day, chart)', async () => {
		const stats = await jobStats(t.sql, 'alpha', 1000);
		expect(stats.runs).toBe(60);
		expect(stats.finished).toBe(60);
		expect(stats.succeeded).toBe(40);
		expect(stats.p50Ms).toBe(300);
		expect(stats.p95Ms).toBe(570);
		// A history younger than a day: its runs so far, not an extrapolation …
		expect(stats.perDay).toBe(60);
		// … but a full window is a rate: 30 runs a minute apart.
		expect((await jobStats(t.sql, 'alpha', 30)).perDay).toBeCloseTo(1440, 0);
		expect(stats.chart).toHaveLength(60);
		expect(stats.chart[0]!.id).toBe(ids[0]);
		const page = await jobPage({ cron: a.service, sql: t.sql, defaultTimezone: 'UTC' }, 'alpha', new URLSearchParams('status=failed'));
		expect(page.history.runs.every((r) => r.status === 'failed')).toBe(true);
		expect(page.preview.valid).toBe(true);
	});

	it('all runs: bad filters are reported, not thrown', async () => {
		const page = await executionsPage({ cron: a.service, sql: t.sql, defaultTimezone: 'UTC' }, new URLSearchParams('from=yesterday&status=nope'));
		expect(page.errors.from).toMatch(/date and time/);
		expect(page.page).toBeNull();
		expect(page.query.status).toBe('');
	});

	it('follows a retry chain both ways', async () => {
		const [first] = await t.sql<{ id: number }[]>`
			insert into cron_job_execution (job_id, trigger, run_at, status, attempt) values ('beta', 'manual', now(), 'failed', 1) returning id`;
		const [second] = await t.sql<{ id: number }[]>`
			insert into cron_job_execution (job_id, trigger, run_at, status, attempt, retry_of) values ('beta', 'retry', now(), 'failed', 2, ${first!.id}) returning id`;
		const [third] = await t.sql<{ id: number }[]>`
			insert into cron_job_execution (job_id, trigger, run_at, status, attempt, retry_of) values ('beta', 'retry', now(), 'succeeded', 3, ${second!.id}) returning id`;
		const chain = await retryChain(t.sql, { id: Number(second!.id), jobKey: 'beta' });
		expect(chain.map((c) => [c.id, c.attempt])).toEqual([
			[Number(first!.id), 1],
			[Number(second!.id), 2],
			[Number(third!.id), 3]
		]);
	});

	it('lists the audit log newest first with a diff of what changed', async () => {
		await a.service.setEnabled('beta', false, { name: 'tester' });
		await a.service.updateSettings({ 'executions.retentionDays': 9 }, { name: 'tester' });
		const all = await listAudit(t.sql, new URLSearchParams());
		expect(all.entries[0]!.action).toBe('settings.update');
		expect(all.entries[0]!.changes).toEqual([{ field: 'executions.retentionDays', before: '30', after: '9' }]);
		expect(all.entities).toEqual(expect.arrayContaining(['cron_job', 'settings']));
		const jobs = await listAudit(t.sql, new URLSearchParams({ entity: 'cron_job', entityId: 'beta' }));
		expect(jobs.entries.map((e) => e.action)).toEqual(['job.disable']);
		expect(jobs.entries[0]!.changes).toEqual([{ field: 'enabled', before: 'true', after: 'false' }]);
		const paged = await listAudit(t.sql, new URLSearchParams(), 1);
		expect(paged.entries).toHaveLength(1);
		expect(paged.older).toBe(paged.entries[0]!.id);
	});
});

describe('live updates hub', () => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await createTestDatabase();
	});
	afterAll(async () => {
		await t.drop();
	});

	it('streams coalesced run changes from PostgreSQL and ends every stream on stop', async () => {
		const hub = new LiveHub(() => t.sql);
		const reader = (await hub.subscribe()).getReader();
		const decoder = new TextDecoder();
		const read = async () => decoder.decode((await reader.read()).value);
		expect(await read()).toContain('retry: 3000');
		await t.sql`select pg_notify(${RUNS_CHANNEL}, ${JSON.stringify({ runs: [[1, 'alpha', 'running']] })})`;
		await t.sql`select pg_notify(${RUNS_CHANNEL}, ${JSON.stringify({ runs: [[1, 'alpha', 'succeeded']] })})`;
		const msg = await read();
		expect(msg.startsWith('data: ')).toBe(true);
		// Both notifications arrive in one message.
		expect(JSON.parse(msg.slice(6))).toEqual({ runs: [[1, 'alpha', 'running'], [1, 'alpha', 'succeeded']], jobs: ['alpha'], all: false, settings: false, monitors: [] });
		// A monitor's pings and status changes (alerts/signal.ts) reach the monitor pages.
		await t.sql`select pg_notify(${ALERTS_CHANNEL}, ${JSON.stringify({ t: 'monitor', key: 'backups', status: 'up', downAt: 1 })})`;
		await t.sql`select pg_notify(${ALERTS_CHANNEL}, ${JSON.stringify({ t: 'deliver' })})`;
		expect(JSON.parse((await read()).slice(6))).toEqual({ runs: [], jobs: [], all: false, settings: false, monitors: ['backups'] });
		expect(hub.size).toBe(1);
		await hub.stop();
		expect((await reader.read()).done).toBe(true);
		await expect(hub.subscribe()).rejects.toThrow(/shutting down/);
	});

	it('ends a stream within 5 s of its session ending (logout, expiry) or its user being deleted or demoted', async () => {
		const hub = new LiveHub(() => t.sql);
		const user = async (email: string, role: 'admin' | 'viewer') =>
			(await t.sql<{ id: string }[]>`insert into "user" (id, email, password_hash, role) values (gen_random_uuid()::text, ${email}, 'x', ${role}) returning id`)[0]!.id;
		const admin = await user('live-admin@example.com', 'admin');
		const gone = await user('live-gone@example.com', 'viewer');
		const [loggedOut, expired, deleted, demoted, kept] = await Promise.all([
			createSession(t.sql, admin),
			createSession(t.sql, admin),
			createSession(t.sql, gone),
			createSession(t.sql, admin),
			createSession(t.sql, admin)
		]);
		const open = async (sessionId: string, role: 'admin' | 'viewer') => {
			const reader = (await hub.subscribe(undefined, { sessionId, role })).getReader();
			await reader.read(); // "retry: 3000" and the connected comment
			return reader;
		};
		const streams = {
			loggedOut: await open(loggedOut.session.id, 'admin'),
			expired: await open(expired.session.id, 'admin'),
			deleted: await open(deleted.session.id, 'viewer'),
			demoted: await open(demoted.session.id, 'admin'),
			kept: await open(kept.session.id, 'admin')
		};
		const ended = (reader: ReadableStreamDefaultReader<Uint8Array>) =>
			(async () => {
				for (;;) if ((await reader.read()).done) return Date.now();
			})();
		let started = Date.now();
		const ends = [ended(streams.loggedOut), ended(streams.expired), ended(streams.deleted)];
		await invalidateSession(t.sql, loggedOut.session.id);
		await t.sql`update auth_session set last_verified_at = now() - interval '8 days' where id = ${expired.session.id}`;
		await t.sql`delete from "user" where id = ${gone}`;
		for (const at of await Promise.all(ends)) expect(at - started).toBeLessThan(5_000);
		expect(hub.size).toBe(2);
		// Demotion: the kept stream belongs to another admin, who stays one.
		const other = await user('live-kept@example.com', 'admin');
		await t.sql`update auth_session set user_id = ${other} where id = ${kept.session.id}`;
		started = Date.now();
		const demotedEnd = ended(streams.demoted);
		await t.sql`update "user" set role = 'viewer' where id = ${admin}`;
		expect((await demotedEnd) - started).toBeLessThan(5_000);
		expect(hub.size).toBe(1);
		await hub.stop();
		expect((await streams.kept.read()).done).toBe(true);
	});
});
