/**
 * Deadlines by key (a monitor's down instant), in the style of cron/timers.ts: one heap of
 * instants (database time) and one `setTimeout` on the injected clock for the earliest, however
 * many keys there are. Setting a key again replaces its deadline (the old heap entry is left
 * behind and skipped: lazy deletion keeps every change O(log n)). When the timer fires, every
 * key due by the database's clock (as estimated by DbTime) is handed over in one batch.
 */
import type { Clock, Timer } from '../cron/clock';
import type { DbTime } from '../cron/db-time';
import { TimerHeap } from '../cron/timer-heap';

/** Timers longer than this are set again on waking (setTimeout's range; clock drift). */
const MAX_TIMER_MS = 60 * 60_000;

export class Deadlines {
	private heap = new TimerHeap();
	private live = new Map<string, { at: number; gen: number }>();
	private gen = 0;
	private timer: Timer | undefined;
	private timerAt = Infinity;
	private active = false;

	constructor(
		private readonly deps: {
			clock: Clock;
			time: Pick<DbTime, 'now'>;
			/** Keys whose deadline has come (database time), earliest first. */
			onDue: (keys: string[]) => void;
		}
	) {}

	get size(): number {
		return this.live.size;
	}

	get nextAt(): number | null {
		return Number.isFinite(this.timerAt) ? this.timerAt : null;
	}

	/** The deadline of `key`, if any. */
	get(key: string): number | null {
		return this.live.get(key)?.at ?? null;
	}

	start(): void {
		this.active = true;
		this.rearm();
	}

	stop(): void {
		this.active = false;
		this.deps.clock.clearTimeout(this.timer);
		this.timer = undefined;
		this.timerAt = Infinity;
	}

	/** Sets (or with `at: null` removes) the deadline of `key`. */
	set(key: string, at: number | null): void {
		const cur = this.live.get(key);
		if (cur?.at === at) return;
		if (at === null) this.live.delete(key);
		else {
			const gen = ++this.gen;
			this.live.set(key, { at, gen });
			this.heap.push({ at, key, gen });
		}
		if (this.heap.size > 4 * Math.max(16, this.live.size)) this.heap.compact((e) => this.live.get(e.key)?.gen === e.gen);
		this.rearm();
	}

	/** Increases with every change: `reset` keeps changes made after a reading of it. */
	get generation(): number {
		return this.gen;
	}

	/**
	 * Replaces every deadline with `entries` (a reload from the database), except those set
	 * after `since` (a generation read before the reload's query: they are newer than it).
	 */
	reset(entries: Iterable<[string, number]>, since = Infinity): void {
		const newer = [...this.live].filter(([, v]) => v.gen > since);
		this.live.clear();
		this.heap = new TimerHeap();
		for (const [key, at] of entries) {
			const gen = ++this.gen;
			this.live.set(key, { at, gen });
			this.heap.push({ at, key, gen });
		}
		for (const [key, v] of newer) {
			this.live.set(key, v);
			this.heap.push({ at: v.at, key, gen: v.gen });
		}
		this.rearm();
	}

	/** Removes and returns the keys due by `now` (database time). */
	takeDue(now: number): string[] {
		const due: string[] = [];
		for (let top = this.heap.peek(); top && top.at <= now; top = this.heap.peek()) {
			this.heap.pop();
			if (this.live.get(top.key)?.gen !== top.gen) continue;
			this.live.delete(top.key);
			due.push(top.key);
		}
		return due;
	}

	private rearm(): void {
		if (!this.active) return;
		for (let top = this.heap.peek(); top && this.live.get(top.key)?.gen !== top.gen; top = this.heap.peek()) this.heap.pop();
		const top = this.heap.peek();
		const at = top ? top.at : Infinity;
		if (at === this.timerAt && this.timer) return;
		this.deps.clock.clearTimeout(this.timer);
		this.timer = undefined;
		this.timerAt = at;
		if (!top) return;
		const delay = Math.min(Math.max(0, at - this.deps.time.now()), MAX_TIMER_MS);
		this.timer = this.deps.clock.setTimeout(() => {
			this.timer = undefined;
			this.timerAt = Infinity;
			const due = this.takeDue(this.deps.time.now());
			if (due.length) this.deps.onDue(due);
			this.rearm();
		}, delay);
	}
}
