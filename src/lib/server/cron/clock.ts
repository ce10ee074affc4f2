/**
 * Time as the scheduler sees it, injectable so tests can skew or drive it (docs/architecture.md,
 * "Time"). `now()` is the wall clock (what schedules are written in); `monotonic()` never jumps
 * and measures durations and lease ages; timers go through the clock too.
 */
export type Timer = ReturnType<typeof setTimeout>;

export interface Clock {
	/** Wall-clock milliseconds since the epoch (may jump). */
	now(): number;
	/** Milliseconds on a clock that never jumps (durations, lease ages). */
	monotonic(): number;
	setTimeout(fn: () => void, ms: number): Timer;
	clearTimeout(timer: Timer | undefined): void;
	setInterval(fn: () => void, ms: number): Timer;
	clearInterval(timer: Timer | undefined): void;
}

export const systemClock: Clock = {
	now: () => Date.now(),
	monotonic: () => performance.now(),
	setTimeout: (fn, ms) => setTimeout(fn, ms),
	clearTimeout: (t) => clearTimeout(t),
	setInterval: (fn, ms) => setInterval(fn, ms),
	clearInterval: (t) => clearInterval(t)
};

/** Resolves after `ms` on `clock`. */
export function delay(clock: Clock, ms: number): Promise<void> {
	return new Promise((resolve) => clock.setTimeout(resolve, Math.max(0, ms)));
}
