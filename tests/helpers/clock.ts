/**
 * A clock for tests: real timers, a wall clock that can be set off by `skewMs` or jump at will,
 * and a monotonic clock that never jumps (as on a real machine whose wall clock is stepped).
 */
import { systemClock, type Clock } from '../../src/lib/server/cron/clock';

export class SkewedClock implements Clock {
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

	setTimeout = systemClock.setTimeout;
	clearTimeout = systemClock.clearTimeout;
	setInterval = systemClock.setInterval;
	clearInterval = systemClock.clearInterval;
}
