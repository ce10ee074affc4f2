/**
 * A clock for tests: real timers, a wall clock that can be set off by `skewMs` or jump at will,
 * and a monotonic clock that never jumps (as on a real machine whose wall clock is stepped).
 */
import { systemClock, type Clock } from '../../src/lib/server/cron/clock';

export class SkewedClock implements Clock {
	setTimeout = systemClock.setTimeout;
	clearTimeout = systemClock.clearTimeout;
	setInterval = systemClock.setInterval;
	clearInterval = systemClock.clearInterval;

	constructor(public skewMs = 0) {}

	/** Steps the wall clock by `ms` (forward or back), as an NTP step or an operator would. */
	jump(ms: number): void {
		this.skewMs += ms;
	}

	now(): number {
		return Date.now() + this.skewMs;
	}

	monotonic(): number {
		return performance.now();
	}
}

/**
 * A clock that only moves when told: `advance(ms)` runs every timer that falls due, in order.
 * For unit tests of timer logic without a database.
 */
export class ManualClock implements Clock {
	private wall: number;
	private mono = 0;
	private seq = 0;
	private timers = new Map<number, { at: number; fn: () => void; every: number | null }>();

	setTimeout = (fn: () => void, ms: number) => this.add(fn, ms, null);
	setInterval = (fn: () => void, ms: number) => this.add(fn, ms, ms);
	clearTimeout = (t: ReturnType<typeof setTimeout> | undefined) => void this.timers.delete(t as unknown as number);
	clearInterval = this.clearTimeout;

	constructor(start = Date.UTC(2026, 0, 1)) {
		this.wall = start;
	}

	now(): number {
		return this.wall;
	}

	monotonic(): number {
		return this.mono;
	}

	/** Steps the wall clock only (timers follow the monotonic clock, as Node's do). */
	jump(ms: number): void {
		this.wall += ms;
	}

	private add(fn: () => void, ms: number, every: number | null): ReturnType<typeof setTimeout> {
		const id = ++this.seq;
		this.timers.set(id, { at: this.mono + Math.max(0, ms), fn, every });
		return id as unknown as ReturnType<typeof setTimeout>;
	}

	/** How many timers are set. */
	get pending(): number {
		return this.timers.size;
	}

	/** The periods (ms) of the intervals set, shortest first. */
	get intervals(): number[] {
		return [...this.timers.values()].flatMap((t) => (t.every === null ? [] : [t.every])).sort((a, b) => a - b);
	}

	advance(ms: number): void {
		const end = this.mono + ms;
		for (;;) {
			let next: [number, { at: number; fn: () => void; every: number | null }] | undefined;
			for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
			if (!next) break;
			const [id, t] = next;
			this.wall += t.at - this.mono;
			this.mono = t.at;
			if (t.every === null) this.timers.delete(id);
			else t.at += t.every;
			t.fn();
		}
		this.wall += end - this.mono;
		this.mono = end;
	}
}
