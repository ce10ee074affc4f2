/**
 * What an idle worker still does, and what it no longer does (docs/architecture.md, "Idle
 * cost"): the resync reads every job only when the digest of the jobs and settings changed since
 * the boot or the last resync that read them, the database's clock is read by the instance
 * heartbeat and not again by the resync, a queued run whose NOTIFY was lost is found when LISTEN
 * resubscribes or by the slower safety-net poll, and live output sets a timer only when a run
 * prints. Intervals are driven by a ManualClock; the database is real.
 */
import type { Sql } from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../tests/helpers/clock';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { eventually, instance, quietLog, type Instance } from '../../../../tests/helpers/scheduler';
import { InstanceRegistry } from '../instances/registry';
import { DbTime } from './db-time';
import { syncCodeJobs } from './jobs';
import { defineJob } from './types';

let t: TestDatabase;
const running: Instance[] = [];

beforeAll(async () => {
	t = await createTestDatabase();
});
afterEach(async () => {
	await Promise.all(running.splice(0).map((i) => i.scheduler.close(1000)));
	await t.sql`delete from cron_job_execution`;
	await t.sql`delete from cron_job`;
	await t.sql`delete from cron_instance`;
});
afterAll(async () => {
	await t.drop();
});

/** Counts the statements a pool sends whose text matches (postgres.js's `debug` hook). */
function countStatements<K extends string>(sql: Sql, patterns: Record<K, RegExp>): Record<K, number> {
	const keys = Object.keys(patterns) as K[];
	const counts = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
	(sql.options as { debug?: unknown }).debug = (_conn: number, query: string) => {
		for (const k of keys) if (patterns[k].test(query)) counts[k]++;
	};
	return counts;
}

const RESYNC_MS = 15_000;
const far = (key: string) => defineJob({ key, name: key, schedule: '0 0 1 1 *', handler: () => undefined });

describe('an idle worker', () => {
	it('resync: an edit whose NOTIFY was lost is caught by the digest; an unchanged digest reads no rows', async () => {
		const clock = new ManualClock(Date.now());
		const a = instance(t, [far('kept'), far('edited')], { clock, resyncMs: RESYNC_MS, listenCheckMs: 600_000, pollMs: 600_000 });
		running.push(a);
		const counts = countStatements(a.sql, { digest: /select md5\(/, rows: /select key, updated_at as "updatedAt" from cron_job/ });
		await a.scheduler.start();
		// The boot read the digest before it loaded the jobs: the first resync reads no rows.
		expect(counts.digest).toBe(1);
		clock.advance(RESYNC_MS);
		await eventually(async () => counts.digest === 2);
		// Edited behind the scheduler's back: no NOTIFY reaches it.
		await t.sql`update cron_job set schedule = '30 4 * * *', updated_at = now() where key = 'edited'`;
		clock.advance(RESYNC_MS);
		await eventually(async () => a.scheduler.status().nextTickAt?.endsWith('04:30:00.000Z'));
		expect(counts.rows).toBe(1);
		// Nothing changed since: the digest alone, no rows.
		clock.advance(RESYNC_MS);
		clock.advance(RESYNC_MS);
		await eventually(async () => counts.digest === 5);
		expect(counts.rows).toBe(1);
		// A settings change (also without NOTIFY) changes the digest: the next resync reads it.
		await t.sql`
			insert into cron_job_config (key, value, updated_at) values ('scheduler.paused', 'true'::jsonb, now())
			on conflict (key) do update set value = excluded.value, updated_at = now()`;
		clock.advance(RESYNC_MS);
		await eventually(async () => a.scheduler.status().paused === true);
		expect(counts.rows).toBe(2);
	});

	it('the heartbeat reads the database clock; the resync reads it only when no heartbeat did within a resync period', async () => {
		const clock = new ManualClock(Date.now());
		const time = new DbTime(clock);
		const a = instance(t, [far('clocked')], { clock, time, resyncMs: RESYNC_MS, listenCheckMs: 600_000, pollMs: 600_000 });
		running.push(a);
		const counts = countStatements(a.sql, { clockRead: /select \(extract\(epoch from clock_timestamp\(\)\)/, beat: /update cron_instance set last_seen_at/ });
		await a.scheduler.start();
		const registry = new InstanceRegistry({ sql: a.sql, log: quietLog, time, id: 'idle-worker', role: 'worker', clock, heartbeatMs: 10_000 });
		await registry.start();
		const reads = counts.clockRead;
		expect(counts.beat).toBeGreaterThan(0);
		const [row] = await t.sql<{ offset: number | null }[]>`select clock_offset_ms as offset from cron_instance where id = 'idle-worker'`;
		expect(row!.offset).not.toBeNull();
		// Heartbeats every 10 s keep the sample younger than the 15 s resync: no clock statement.
		for (let i = 0; i < 6; i++) {
			const beats = counts.beat;
			clock.advance(5_000);
			if (i % 2 === 1) await eventually(async () => counts.beat > beats);
		}
		expect(counts.clockRead).toBe(reads);
		// Without the registry the resync reads the clock itself.
		await registry.stop();
		const measuredAt = time.measuredAt;
		clock.advance(RESYNC_MS);
		await eventually(async () => time.measuredAt > measuredAt);
		expect(counts.clockRead).toBeGreaterThan(reads);
	});

	/** A queued run not yet due (the start's claim leaves it), then made due behind the scheduler's back. */
	async function queuedBehindTheBack(key: string): Promise<number> {
		const [queued] = await t.sql<{ id: number }[]>`
			insert into cron_job_execution (job_id, trigger, run_at, status, triggered_by)
			values (${key}, 'manual', now() + interval '1 hour', 'queued', 'test') returning id`;
		return queued!.id;
	}
	const makeDue = (id: number) => t.sql`update cron_job_execution set run_at = now() - interval '1 second' where id = ${id}`;
	/** The claim `start()` begins has run in the database (before the run is made due). */
	const startClaimDone = () =>
		eventually(async () => {
			const rows = await t.sql<{ state: string }[]>`
				select state from pg_stat_activity where datname = current_database() and query like '%q_cand%' and pid <> pg_backend_pid()`;
			return rows.length > 0 && rows.every((r) => r.state === 'idle');
		});

	it('a queued run whose NOTIFY was lost starts when LISTEN resubscribes, long before the safety-net poll', async () => {
		const started: number[] = [];
		const job = defineJob({ key: 'woken', name: 'Woken', schedule: '0 0 1 1 *', handler: (ctx) => void started.push(ctx.execution.id) });
		const a = instance(t, [job], { pollMs: 600_000, resyncMs: 600_000, listenCheckMs: 600_000 });
		running.push(a);
		await syncCodeJobs(t.sql, [job]);
		const id = await queuedBehindTheBack('woken');
		await a.scheduler.start();
		await startClaimDone();
		await makeDue(id);
		const [listen] = await t.sql<{ pid: number }[]>`
			select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%'`;
		await t.sql`select pg_terminate_backend(${listen!.pid})`;
		await eventually(async () => started.includes(id), 15_000);
		expect(started).toEqual([id]);
	});

	it('a queued run nobody was told about is claimed by the safety-net poll, pollMs after the last claim', async () => {
		const clock = new ManualClock(Date.now());
		const started: number[] = [];
		const job = defineJob({ key: 'polled', name: 'Polled', schedule: '0 0 1 1 *', handler: (ctx) => void started.push(ctx.execution.id) });
		const a = instance(t, [job], { clock, pollMs: 30_000, resyncMs: 600_000, listenCheckMs: 600_000 });
		running.push(a);
		const counts = countStatements(a.sql, { claim: /with q_cand as/ });
		await syncCodeJobs(t.sql, [job]);
		const id = await queuedBehindTheBack('polled');
		await a.scheduler.start();
		await eventually(async () => counts.claim === 1);
		await startClaimDone();
		await makeDue(id);
		clock.advance(29_000);
		expect(counts.claim).toBe(1);
		clock.advance(1_000);
		await eventually(async () => started.includes(id));
		expect(started).toEqual([id]);
	});

	it('live output: no timer while no run prints; printed output reaches the ledger within 250 ms, each time a run prints', async () => {
		const clock = new ManualClock(Date.now());
		let printed = 0;
		let say: (line: string) => void = () => {};
		let finish: () => void = () => {};
		const job = defineJob({
			key: 'talker',
			name: 'Talker',
			schedule: '0 0 1 1 *',
			handler: (ctx) =>
				new Promise<void>((resolve) => {
					say = (line) => {
						ctx.log(line);
						printed++;
					};
					finish = resolve;
				})
		});
		const a = instance(t, [job], { clock, leaseMs: 30_000, pollMs: 600_000, resyncMs: 600_000, listenCheckMs: 600_000 });
		running.push(a);
		const counts = countStatements(a.sql, { output: /set output = u\.output/ });
		await a.scheduler.start();
		// Idle: nothing wakes more often than the lease period (no output timer).
		expect(Math.min(...clock.intervals)).toBeGreaterThanOrEqual(10_000);
		await syncCodeJobs(t.sql, [job]);
		const [queued] = await t.sql<{ id: number }[]>`
			insert into cron_job_execution (job_id, trigger, run_at, status, triggered_by)
			values ('talker', 'manual', now(), 'queued', 'test') returning id`;
		await t.sql`select pg_notify('cronkit', '{"t":"queue"}')`;
		await eventually(async () => a.scheduler.status().activeRuns === 1);
		const stored = async () => (await t.sql<{ output: string | null }[]>`select output from cron_job_execution where id = ${queued!.id}`)[0]!.output;
		const pendingWhileSilent = clock.pending;
		say('first');
		expect(printed).toBe(1);
		// One timer for the printed output, none for a second line before it fires.
		expect(clock.pending).toBe(pendingWhileSilent + 1);
		say('second');
		expect(clock.pending).toBe(pendingWhileSilent + 1);
		expect(Math.min(...clock.intervals)).toBeGreaterThanOrEqual(10_000);
		clock.advance(249);
		expect(await stored()).toBeNull();
		clock.advance(1);
		await eventually(async () => (await stored()) === 'first\nsecond\n');
		expect(counts.output).toBe(1);
		// Written: no timer left until the run prints again.
		expect(clock.pending).toBe(pendingWhileSilent);
		say('third');
		clock.advance(250);
		await eventually(async () => (await stored()) === 'first\nsecond\nthird\n');
		expect(counts.output).toBe(2);
		finish();
		await eventually(async () => a.scheduler.status().activeRuns === 0);
	});
});
