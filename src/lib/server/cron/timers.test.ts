import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../tests/helpers/clock';
import type { CronJob } from '../db/schema';
import { ArmedJobs } from './armed';
import { DbTime } from './db-time';
import { TickTimers, type DueTick } from './timers';
import type { RegisteredJob } from './types';

const job = (key: string, schedule: string, enabled = true): CronJob =>
	({ key, schedule, enabled, source: 'code', type: 'code', timezone: 'UTC', configError: null, params: {}, overlap: 'forbid' }) as CronJob;

function setup() {
	const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 0));
	const time = new DbTime(clock);
	const defs = new Map<string, RegisteredJob>(
		['a', 'b', 'c'].map((k) => [`job-${k}`, { key: `job-${k}`, name: k, schedule: '* * * * * *', handler: () => undefined }])
	);
	const jobs = new ArmedJobs({ definitions: defs, types: {}, env: {}, defaultZone: () => 'UTC', onConfigError: () => undefined });
	const woke: boolean[] = [];
	const timers = new TickTimers({ clock, time, jobs, leadMs: () => 100, onWake: (jumped) => woke.push(jumped) });
	return { clock, time, jobs, timers, woke };
}

describe('TickTimers', () => {
	it('wakes the claim lead before the earliest instant, and a due tick re-arms its job at once', () => {
		const { clock, jobs, timers, woke } = setup();
		timers.start();
		timers.arm(jobs.load(job('job-a', '* * * * * *')), clock.now());
		timers.arm(jobs.load(job('job-b', '*/5 * * * * *')), clock.now());
		expect(timers.nextAt).toBe(Date.UTC(2026, 0, 1, 0, 0, 1));
		clock.advance(899);
		expect(woke).toHaveLength(0);
		clock.advance(1);
		expect(woke).toEqual([false]);
		const due: DueTick[] = timers.takeDue(clock.now() + 100, clock.now(), 5000);
		expect(due.map((d) => [d.armed.job.key, d.at])).toEqual([['job-a', Date.UTC(2026, 0, 1, 0, 0, 1)]]);
		// Before anything is claimed, the job's next instant is already on the heap.
		expect(jobs.get('job-a')!.nextAt).toBe(Date.UTC(2026, 0, 1, 0, 0, 2));
		timers.rearm();
		expect(timers.nextAt).toBe(Date.UTC(2026, 0, 1, 0, 0, 2));
	});

	it('re-arms a late tick from now (no burst) and says when the wall clock jumped meanwhile', () => {
		const { clock, jobs, timers, woke } = setup();
		timers.start();
		timers.arm(jobs.load(job('job-a', '* * * * * *')), clock.now());
		clock.jump(3_600_000);
		clock.advance(900);
		expect(woke).toEqual([true]);
		const now = clock.now();
		const [d] = timers.takeDue(now + 100, now, 5000);
		expect(now - d!.at).toBeGreaterThan(5000);
		expect(jobs.get('job-a')!.nextAt).toBe(Math.floor(now / 1000) * 1000 + 1000);
	});

	it('finds jobs not armed exactly once and repairs them', () => {
		const { clock, jobs, timers } = setup();
		timers.start();
		timers.arm(jobs.load(job('job-a', '* * * * * *')), clock.now());
		timers.arm(jobs.load(job('job-b', '* * * * * *')), clock.now());
		timers.arm(jobs.load(job('job-c', '* * * * * *', false)), clock.now());
		expect(timers.selfCheck(clock.now())).toEqual([]);
		// Lost (as a failed claim once did) and doubled entries:
		const a = jobs.get('job-a')!;
		timers.clear();
		timers.arm(jobs.get('job-b')!, clock.now());
		timers.arm(jobs.get('job-b')!, clock.now() + 1000);
		expect(a.nextAt).toBeNull();
		expect(timers.selfCheck(clock.now()).sort()).toEqual(['job-a', 'job-b']);
		expect(timers.selfCheck(clock.now())).toEqual([]);
		expect(jobs.get('job-a')!.nextAt).toBe(Date.UTC(2026, 0, 1, 0, 0, 1));
		expect(jobs.get('job-c')!.nextAt).toBeNull();
	});
});

describe('DbTime', () => {
	it('estimates the offset from half the round trip and refuses a sample spoiled by a wall-clock step', () => {
		const clock = new ManualClock(1_000_000);
		const time = new DbTime(clock);
		expect(time.observe(1_005_010, 1_000_000, 1_000_020, 0, 20)).toBe(true);
		expect(time.offsetMs).toBe(5000);
		expect(time.localOffsetMs).toBe(-5000);
		expect(time.uncertaintyMs).toBe(11);
		expect(time.skewed).toBe(true);
		// The wall clock moved 1 h while 20 ms passed: not a sample.
		expect(time.observe(1_005_010, 1_000_000, 4_600_020, 0, 20)).toBe(false);
		expect(time.offsetMs).toBe(5000);
	});
});
