import { describe, expect, it } from 'vitest';
import { CATCH_UP_CAP, owedTicks, planCatchUp } from './catch-up';
import { compileSchedule } from './schedule';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const everySecond = compileSchedule('* * * * * *', 'UTC');
const job = (catchUp: 'skip' | 'once' | 'all', catchUpMaxAgeMs = 86_400_000) => ({ key: 'j', catchUp, catchUpMaxAgeMs });

describe('catch-up planning', () => {
	const owed = owedTicks(everySecond, T0, T0 + 10_000);
	it('owes every tick after the last recorded one, most recent first', () => {
		expect(owed.owed).toHaveLength(10);
		expect(owed.owed[0]).toBe(T0 + 10_000);
		expect(owed.truncatedSince).toBeNull();
	});

	it('once: the latest is queued as a catch-up run, the rest are missed', () => {
		const plan = planCatchUp(job('once'), owed, { now: T0 + 10_500, paused: false, why: 'down' });
		expect(plan.queued.map((q) => [q.trigger, q.scheduledFor?.getTime()])).toEqual([['catch_up', T0 + 10_000]]);
		expect(plan.missed).toHaveLength(9);
		expect(plan.missed.every((m) => m.status === 'missed' && m.note === 'down (catch-up: once)')).toBe(true);
	});

	it('skip records all missed; all queues each; older than the max age is missed; paused is skipped', () => {
		expect(planCatchUp(job('skip'), owed, { now: T0 + 10_500, paused: false, why: 'down' }).queued).toHaveLength(0);
		expect(planCatchUp(job('all'), owed, { now: T0 + 10_500, paused: false, why: 'down' }).queued).toHaveLength(10);
		const aged = planCatchUp(job('all', 5_000), owed, { now: T0 + 10_500, paused: false, why: 'down' });
		expect(aged.queued).toHaveLength(5);
		expect(aged.missed.every((m) => m.note.endsWith('(older than catch-up max age)'))).toBe(true);
		const paused = planCatchUp(job('all'), owed, { now: T0 + 10_500, paused: true, why: 'down' });
		expect(paused.queued).toHaveLength(0);
		expect(paused.missed.every((m) => m.status === 'skipped' && m.note === 'scheduler paused')).toBe(true);
	});

	it('caps a long gap and says on the oldest row how far back it went', () => {
		const long = owedTicks(everySecond, T0, T0 + 3_600_000);
		expect(long.owed).toHaveLength(CATCH_UP_CAP);
		expect(long.truncatedSince).toBe(T0);
		const plan = planCatchUp(job('skip'), long, { now: T0 + 3_600_000, paused: false, why: 'down' });
		expect(plan.missed.at(-1)!.note).toContain(`earlier ticks since ${new Date(T0).toISOString()} were missed too`);
	});
});
