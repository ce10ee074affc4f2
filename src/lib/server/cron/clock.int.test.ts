/**
 * Time: handlers never start before their instant, by the local clock nor the database's; an
 * instance whose clock is off still runs ticks on time by the database's clock and says so;
 * wall-clock steps cause no duplicate, no burst and no gap.
 */
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { SkewedClock } from '../../../../tests/helpers/clock';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { eventually, instance, sleep, type Instance } from '../../../../tests/helpers/scheduler';
import { defineJob, type JobContext } from './types';

let t: TestDatabase;
const running: Instance[] = [];

beforeAll(async () => {
	t = await createTestDatabase();
});
afterEach(async () => {
	await Promise.all(running.splice(0).map((i) => i.scheduler.close(2000)));
	await t.sql`delete from cron_job_execution`;
	await t.sql`delete from cron_job`;
});
afterAll(async () => {
	await t.drop();
});

type Start = { key: string; scheduledFor: number; startedAt: number; instance: string };

/** Jobs whose handlers record when they really started (this process's clock is the database host's). */
function recording(keys: string[], schedule: string, starts: Start[], instanceName: () => string) {
	return keys.map((key) =>
		defineJob({
			key,
			name: key,
			schedule,
			overlap: 'allow',
			handler: ({ execution }: JobContext) => {
				starts.push({ key, scheduledFor: execution.scheduledFor!.getTime(), startedAt: Date.now(), instance: instanceName() });
			}
		})
	);
}

describe('time', () => {
	it('1,000 runs due at the same instant: no handler sees the clock below its scheduled instant', async () => {
		const starts: Start[] = [];
		const keys = Array.from({ length: 1000 }, (_, i) => `burst-${String(i).padStart(4, '0')}`);
		const a = instance(t, recording(keys, '*/2 * * * * *', starts, () => 'a'), { leaseMs: 30_000 });
		running.push(a);
		await a.scheduler.start();
		const from = Date.now();
		await eventually(async () => new Set(starts.filter((s) => s.scheduledFor > from).map((s) => s.scheduledFor)).size >= 3 && starts.length >= 2000, 30_000);
		const early = starts.filter((s) => s.startedAt < s.scheduledFor);
		expect(early).toEqual([]);
		// The database's record agrees: started_at (database time) is never before the instant.
		await eventually(async () => (await scalar<number>(t.sql`select count(*)::int from cron_job_execution where status = 'running' or started_at is null`)) === 0);
		expect(await scalar<number>(t.sql`select count(*)::int from cron_job_execution where started_at < scheduled_for`)).toBe(0);
	}, 60_000);

	it('an instance whose clock runs 5 s fast starts every tick at its instant by the database clock, and reports the offset', async () => {
		const starts: Start[] = [];
		const keys = Array.from({ length: 20 }, (_, i) => `skew-${i}`);
		const defs = (name: string) => recording(keys, '* * * * * *', starts, () => name);
		const fast = instance(t, defs('fast'), { name: 'fast', clock: new SkewedClock(5_000) });
		const exact = instance(t, defs('exact'), { name: 'exact' });
		running.push(fast, exact);
		await Promise.all([fast.scheduler.start(), exact.scheduler.start()]);
		expect(fast.scheduler.status().clockOffsetMs).toBeGreaterThan(4_800);
		expect(fast.scheduler.status().clockOffsetMs).toBeLessThan(5_200);
		expect(Math.abs(exact.scheduler.status().clockOffsetMs!)).toBeLessThan(200);
		await sleep(4_000);
		expect(starts.length).toBeGreaterThanOrEqual(40);
		expect(starts.filter((s) => s.startedAt < s.scheduledFor)).toEqual([]);
		// Not late either: both instances start within a second of the instant.
		expect(starts.filter((s) => s.startedAt - s.scheduledFor > 1_000)).toEqual([]);
		await eventually(async () => (await scalar<number>(t.sql`select count(*)::int from cron_job_execution where status = 'running'`)) === 0);
		const rows = await t.sql<{ instance: string; lagMs: number }[]>`
			select instance_id as instance, (extract(epoch from started_at - scheduled_for) * 1000)::float8 as "lagMs"
			from cron_job_execution where trigger = 'schedule'`;
		expect(rows.filter((r) => r.lagMs < 0 || r.lagMs > 1_000)).toEqual([]);
		expect(await scalar<number>(t.sql`select count(*)::int - count(distinct (job_id, scheduled_for))::int from cron_job_execution`)).toBe(0);
	}, 30_000);

	it('wall-clock steps forward and back: no duplicate, no burst, no gap', async () => {
		const starts: Start[] = [];
		const clock = new SkewedClock(0);
		const a = instance(t, recording(['stepped'], '* * * * * *', starts, () => 'a'), { clock, resyncMs: 60_000 });
		running.push(a);
		await a.scheduler.start();
		await eventually(async () => starts.length >= 2);
		clock.jump(3_600_000);
		await sleep(3_000);
		clock.jump(-3_600_000 - 7_200_000);
		await sleep(3_000);
		clock.jump(7_200_000);
		await sleep(2_500);
		await a.scheduler.close(1000);
		running.length = 0;
		const rows = await t.sql<{ at: Date; trigger: string }[]>`
			select scheduled_for as at, trigger from cron_job_execution where job_id = 'stepped' order by scheduled_for`;
		const times = rows.map((r) => r.at.getTime());
		expect(new Set(times).size).toBe(times.length);
		for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1_000);
		expect(rows.every((r) => r.trigger === 'schedule')).toBe(true);
		// No burst: each run started within a second of its instant, never before it.
		expect(starts.filter((s) => s.startedAt < s.scheduledFor || s.startedAt - s.scheduledFor > 1_000)).toEqual([]);
		expect(starts.length).toBeGreaterThanOrEqual(9);
	}, 30_000);
});
