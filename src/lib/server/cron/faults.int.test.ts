/**
 * The scheduler under database faults: statements that fail, the database away for 20 s,
 * completions refused for a while, the LISTEN connection killed. Faults are real: a TCP proxy
 * between one instance and PostgreSQL resets and refuses connections, and triggers inside
 * PostgreSQL make chosen statements fail.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { failFor, failNext, installFaults } from '../../../../tests/helpers/db-faults';
import { faultProxy, type FaultProxy } from '../../../../tests/helpers/fault-proxy';
import { eventually, instance, sleep, type Instance } from '../../../../tests/helpers/scheduler';
import { defineJob, type JobDefinition } from './types';

const SECOND = 1000;

let t: TestDatabase;
let proxy: FaultProxy;
const running: Instance[] = [];

beforeAll(async () => {
	t = await createTestDatabase();
	await installFaults(t.sql);
	proxy = await faultProxy(t.url);
});
afterEach(async () => {
	await proxy.up().catch(() => undefined);
	await Promise.all(running.splice(0).map((i) => i.scheduler.close(1000)));
	await t.sql`delete from test_fault`;
	await t.sql`delete from cron_job_execution`;
	await t.sql`delete from cron_job`;
});
afterAll(async () => {
	await proxy.close();
	await t.drop();
});

async function start(defs: JobDefinition<Record<string, unknown>>[], opts: Parameters<typeof instance>[2] = {}): Promise<Instance> {
	const i = instance(t, defs as never, opts);
	running.push(i);
	await i.scheduler.start();
	return i;
}

const everySecond = (key: string, extra: Partial<JobDefinition<Record<string, unknown>>> = {}) =>
	defineJob({ key, name: key, schedule: '* * * * * *', handler: () => undefined, ...extra });

type Row = { scheduledFor: Date; trigger: string; status: string };

async function ticksOf(key: string): Promise<Row[]> {
	return t.sql<Row[]>`
		select scheduled_for as "scheduledFor", trigger, status from cron_job_execution
		where job_id = ${key} and scheduled_for is not null order by scheduled_for`;
}

/** Every whole second from the first recorded tick to the last is there, once. */
function expectContiguous(rows: Row[]): void {
	const times = rows.map((r) => r.scheduledFor.getTime());
	expect(new Set(times).size).toBe(times.length);
	for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `gap after ${new Date(times[i - 1]!).toISOString()}`).toBe(SECOND);
}

describe('a statement that fails', () => {
	it('a tick whose claim fails once is claimed again, and the job keeps running', async () => {
		await start([everySecond('claim-once')]);
		await eventually(async () => (await ticksOf('claim-once')).length >= 2);
		await failNext(t.sql, 'claim', 1);
		const injectedAt = Date.now();
		await eventually(async () => (await ticksOf('claim-once')).filter((r) => r.scheduledFor.getTime() > injectedAt + 2 * SECOND).length >= 2, 15_000);
		// The fault fired: the sequence that counts failures was used.
		expect(await scalar<boolean>(t.sql`select is_called from test_fault_claim_seq`)).toBe(true);
		// No tick lost or doubled. The failed one is claimed again within the late tolerance; on a
		// machine stalled past it, it is owed to catch-up instead: accounted for either way.
		const rows = await ticksOf('claim-once');
		expectContiguous(rows);
		expect(rows.filter((r) => r.trigger !== 'schedule').length).toBeLessThanOrEqual(1);
	});

	it('completions refused for a while land when the database takes them; no run stays running', async () => {
		let handled = 0;
		// overlap allow: a run whose completion waits does not hold the next ticks back
		await start([everySecond('settle-later', { overlap: 'allow', handler: () => void handled++ })], { leaseMs: 6_000 });
		await eventually(async () => handled >= 1);
		await failFor(t.sql, 'settle', 2_500);
		const before = handled;
		await eventually(async () => handled >= before + 2);
		await sleep(2_500);
		await eventually(async () => (await scalar<number>(t.sql`select count(*)::int from cron_job_execution where status = 'running'`)) === 0, 10_000);
		// Refused for less than a lease: every run is recorded as it ended.
		const statuses = await t.sql<{ status: string; n: number }[]>`
			select status, count(*)::int as n from cron_job_execution where job_id = 'settle-later' group by status`;
		expect(statuses.map((s) => s.status)).toEqual(['succeeded']);
		expect(statuses[0]!.n).toBeGreaterThanOrEqual(handled - 1);
	});

	it('completions refused for longer than the lease: the runs are interrupted and retried, none stays running', async () => {
		let handled = 0;
		await start([everySecond('settle-never', { maxRetries: 1, handler: () => void handled++ })], { leaseMs: 1_500 });
		await eventually(async () => handled >= 1);
		await failFor(t.sql, 'settle', 3_500);
		await sleep(3_500);
		await eventually(async () => (await scalar<number>(t.sql`select count(*)::int from cron_job_execution where status = 'running'`)) === 0, 10_000);
		const interrupted = await t.sql<{ id: number; retries: number }[]>`
			select e.id, (select count(*)::int from cron_job_execution r where r.retry_of = e.id) as retries
			from cron_job_execution e where e.job_id = 'settle-never' and e.status = 'interrupted'`;
		expect(interrupted.length).toBeGreaterThan(0);
		for (const r of interrupted) expect(r.retries).toBe(1);
	});
});

describe('the database away', () => {
	it('for 20 s: no crash, runs resume within 5 s of its return, every tick of the outage is accounted for once', async () => {
		const inst = await start([everySecond('outage-once'), everySecond('outage-skip', { catchUp: 'skip' }), everySecond('outage-all', { catchUp: 'all' })], {
			url: proxy.url,
			leaseMs: 30_000
		});
		await eventually(async () => (await ticksOf('outage-once')).length >= 2);
		await proxy.down();
		const downAt = Date.now();
		await sleep(4_000);
		// A run asked for while the instance cannot hear: it runs once the database is back.
		const [manual] = await t.sql<{ id: number }[]>`
			insert into cron_job_execution (job_id, trigger, run_at, status) values ('outage-once', 'manual', now(), 'queued') returning id`;
		await sleep(16_000);
		expect(inst.scheduler.status().ticksWaiting).toBeGreaterThan(0);
		await proxy.up();
		const upAt = Date.now();
		// Scheduled runs resume: a tick after the return runs, within 5 s of it.
		const resumed = await eventually(async () => {
			const [row] = await t.sql<{ startedAt: Date }[]>`
				select started_at as "startedAt" from cron_job_execution
				where job_id = 'outage-skip' and trigger = 'schedule' and status = 'succeeded' and scheduled_for >= ${new Date(upAt)}
				order by scheduled_for limit 1`;
			return row;
		}, 10_000).catch(async (err: Error) => {
			// Say what the instance and the ledger looked like, for whoever reads a failure.
			const rows = await t.sql`select id, scheduled_for, status, trigger, started_at, instance_id, exclusive, error_message
				from cron_job_execution where job_id = 'outage-skip' order by id desc limit 12`;
			throw new Error(`${err.message}; status ${JSON.stringify(inst.scheduler.status())}; rows ${JSON.stringify(rows)}`);
		});
		expect(resumed.startedAt.getTime() - upAt).toBeLessThan(5_000);
		await eventually(async () => (await scalar<string>(t.sql`select status from cron_job_execution where id = ${manual!.id}`)) === 'succeeded', 10_000);
		// Catch-up done, queue drained.
		await eventually(async () => inst.scheduler.status().ticksWaiting === 0 && inst.scheduler.status().writesWaiting === 0, 10_000);
		await eventually(
			async () => (await scalar<number>(t.sql`select count(*)::int from cron_job_execution where status in ('queued', 'running')`)) === 0,
			15_000
		);
		await inst.scheduler.close(1000);
		running.length = 0;

		const gap = (rows: Row[]) => rows.filter((r) => r.scheduledFor.getTime() > downAt && r.scheduledFor.getTime() < upAt);
		for (const key of ['outage-once', 'outage-skip', 'outage-all']) {
			const rows = await ticksOf(key);
			expectContiguous(rows);
			// Every second of the outage has its row.
			expect(gap(rows).length).toBeGreaterThanOrEqual(19);
		}
		const once = gap(await ticksOf('outage-once'));
		expect(once.filter((r) => r.trigger === 'catch_up')).toHaveLength(1);
		expect(once.filter((r) => r.status === 'missed').length).toBeGreaterThanOrEqual(10);
		const skip = gap(await ticksOf('outage-skip'));
		expect(skip.filter((r) => r.trigger === 'catch_up')).toHaveLength(0);
		expect(skip.filter((r) => r.status === 'missed').length).toBeGreaterThanOrEqual(10);
		const all = gap(await ticksOf('outage-all'));
		expect(all.filter((r) => r.status === 'missed')).toHaveLength(0);
		expect(all.filter((r) => r.trigger === 'catch_up').length).toBeGreaterThanOrEqual(10);
		// Nothing ran twice, nothing stayed behind.
		expect(await scalar<number>(t.sql`select count(*)::int from cron_job_execution where status not in ('succeeded', 'missed', 'skipped')`)).toBe(0);
	}, 90_000);
});

describe('the LISTEN connection', () => {
	const listenPid = async () =>
		(await t.sql<{ pid: number }[]>`
			select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%'`).map((r) => r.pid);

	it('killed by pg_terminate_backend: config changes reach the instance within 1 s after it reconnects', async () => {
		const a = await start([defineJob({ key: 'listened', name: 'Listened', schedule: '0 0 1 1 *', handler: () => undefined })], { resyncMs: 60_000 });
		const [old] = await listenPid();
		expect(old).toBeDefined();
		await t.sql`select pg_terminate_backend(${old!})`;
		await eventually(async () => (await listenPid()).some((p) => p !== old), 10_000);
		const other = instance(t, []);
		const changedAt = Date.now();
		await other.service.updateJob('listened', { schedule: '30 4 * * *' }, { name: 'test' });
		await eventually(async () => a.scheduler.status().nextTickAt?.endsWith('04:30:00.000Z'), 1_000, 20);
		expect(Date.now() - changedAt).toBeLessThan(1_000);
	});

	it('lost while the database refuses connections: subscribed again once it answers, then changes arrive within 1 s', async () => {
		const a = await start([defineJob({ key: 'relistened', name: 'Relistened', schedule: '0 0 1 1 *', handler: () => undefined })], {
			url: proxy.url,
			resyncMs: 60_000,
			listenCheckMs: 500
		});
		const [old] = await listenPid();
		await proxy.down();
		await sleep(1_500);
		await proxy.up();
		await eventually(async () => (await listenPid()).some((p) => p !== old), 10_000);
		const other = instance(t, []);
		const changedAt = Date.now();
		await other.service.updateJob('relistened', { schedule: '15 3 * * *' }, { name: 'test' });
		await eventually(async () => a.scheduler.status().nextTickAt?.endsWith('03:15:00.000Z'), 1_000, 20);
		expect(Date.now() - changedAt).toBeLessThan(1_000);
	});
});
