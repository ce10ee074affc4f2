/**
 * One timer for every job: a heap of next fire instants (database time) and a single
 * `setTimeout` on the injected clock for the earliest, woken `leadMs` early so the claim is done
 * before the instant. Taking a due tick off the heap puts the job's following instant on it at
 * once, before anything touches the database: whatever a claim does, the job stays armed.
 */
import type { Clock, Timer } from './clock';
import type { DbTime } from './db-time';
import { nextRun } from './schedule';
import type { Armed, ArmedJobs } from './armed';
import { TimerHeap } from './timer-heap';

/** Timers longer than this are re-armed on waking (setTimeout's range; clock drift). */
const MAX_TIMER_MS = 60 * 60_000;

export type DueTick = { armed: Armed; at: number };

export class TickTimers {
	private heap = new TimerHeap();
	private timer: Timer | undefined;
	private timerAt = Infinity;
	/** Wall and monotonic readings when the timer was set: a wake-up that disagrees saw a jump. */
	private setWall = 0;
	private setMono = 0;
	private active = false;

	constructor(
		private readonly deps: {
			clock: Clock;
			time: DbTime;
			jobs: ArmedJobs;
			/** How long before an instant to wake up (the claim lead). */
			leadMs: () => number;
			onWake: (clockJumped: boolean) => void;
		}
	) {}

	get nextAt(): number | null {
		return Number.isFinite(this.timerAt) ? this.timerAt : null;
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

	/** Drops every entry (a passive scheduler keeps jobs but no timers). */
	clear(): void {
		this.heap = new TimerHeap();
		for (const a of this.deps.jobs.values()) a.nextAt = null;
	}

	/** Puts a job's first instant after `fromMs` on the heap (nothing when not schedulable). */
	arm(a: Armed, fromMs: number): void {
		a.nextAt = null;
		if (this.deps.jobs.schedulable(a)) {
			const next = nextRun(a.schedule, new Date(fromMs));
			if (next) this.push(a, next.getTime());
		}
		if (this.active) this.rearm();
	}

	private push(a: Armed, at: number): void {
		a.nextAt = at;
		this.heap.push({ at, key: a.job.key, gen: a.gen });
	}

	private isLive(e: { key: string; gen: number }): boolean {
		return this.deps.jobs.get(e.key)?.gen === e.gen;
	}

	/**
	 * Takes every tick due by `horizon` (database time) and arms each job's following instant
	 * right away: from the tick itself, or from `now` for a tick already late (no burst of
	 * catch-up ticks). Jobs sharing a schedule share the arithmetic.
	 */
	takeDue(horizon: number, now: number, lateMs: number): DueTick[] {
		const due: DueTick[] = [];
		for (let top = this.heap.peek(); top && top.at <= horizon; top = this.heap.peek()) {
			this.heap.pop();
			const armed = this.deps.jobs.get(top.key);
			if (armed && armed.gen === top.gen) due.push({ armed, at: top.at });
		}
		const memo = new Map<string, number | null>();
		for (const d of due) {
			const a = d.armed;
			a.nextAt = null;
			if (!this.deps.jobs.schedulable(a)) continue;
			const from = now - d.at > lateMs ? now : d.at;
			const key = `${a.schedule.timezone}\u0000${a.schedule.pattern}\u0000${from}`;
			let next = memo.get(key);
			if (next === undefined) {
				next = nextRun(a.schedule, new Date(from))?.getTime() ?? null;
				memo.set(key, next);
			}
			if (next !== null) this.push(a, next);
		}
		return due;
	}

	/** Sets the one timer for the earliest live entry. */
	rearm(): void {
		if (!this.active) return;
		const { clock, time } = this.deps;
		for (let top = this.heap.peek(); top && !this.isLive(top); top = this.heap.peek()) this.heap.pop();
		if (this.heap.size > 4 * Math.max(16, this.deps.jobs.size)) this.heap.compact((e) => this.isLive(e));
		const top = this.heap.peek();
		const at = top ? top.at : Infinity;
		if (at === this.timerAt && this.timer) return;
		clock.clearTimeout(this.timer);
		this.timer = undefined;
		this.timerAt = at;
		if (!top) return;
		const delay = Math.min(Math.max(0, at - this.deps.leadMs() - time.now()), MAX_TIMER_MS);
		this.setWall = clock.now();
		this.setMono = clock.monotonic();
		this.timer = clock.setTimeout(() => {
			this.timer = undefined;
			this.timerAt = Infinity;
			const jumped = Math.abs(clock.now() - this.setWall - (clock.monotonic() - this.setMono)) > 500;
			this.deps.onWake(jumped);
		}, delay);
	}

	/**
	 * Every schedulable job must have exactly one live entry, and no other job any. Repairs
	 * what it finds (it should find nothing) and returns the keys it re-armed.
	 */
	selfCheck(now: number): string[] {
		const live = new Map<string, number>();
		this.heap.compact((e) => this.isLive(e));
		for (const e of this.heap.entries()) live.set(e.key, (live.get(e.key) ?? 0) + 1);
		const repaired: string[] = [];
		for (const a of this.deps.jobs.values()) {
			const n = live.get(a.job.key) ?? 0;
			// Armed once: as it should be (its entry is the next instant its schedule gave). The
			// schedule is asked only otherwise: at 1,000 jobs that arithmetic was most of an idle
			// worker's CPU (docs/architecture.md, "Idle cost").
			if (n === 1 && this.deps.jobs.schedulable(a)) continue;
			const want = this.deps.jobs.schedulable(a) && nextRun(a.schedule, new Date(now)) !== null ? 1 : 0;
			if (n === want) continue;
			repaired.push(a.job.key);
			this.deps.jobs.load(a.job);
			this.arm(this.deps.jobs.get(a.job.key)!, now);
		}
		if (repaired.length) this.heap.compact((e) => this.isLive(e));
		this.rearm();
		return repaired;
	}
}
