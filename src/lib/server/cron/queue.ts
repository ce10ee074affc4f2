/**
 * The queue loop: claims due `queued` runs (manual, API, retry, catch-up) with FOR UPDATE SKIP
 * LOCKED, as many as there is room for, whenever NOTIFY, a finished run or its timer wakes it.
 * Its timer is always re-armed, whatever a claim does: at the next queued run's `run_at`, at
 * most `pollMs` away, sooner (with backoff) after a failure.
 *
 * Slots that finished runs free are mostly refilled by the statement that settles them (the
 * outcome writer asks `reserve` how many it may claim): a busy queue costs about one statement
 * per batch of runs, not a settle and a claim.
 */
import type { Timer } from './clock';
import { backoff, type Engine } from './engine';
import * as ledger from './ledger';
import type { QueueClaim } from './ledger';
import type { Runner } from './runner';

/** At most this many runs per claim. */
const MAX_CLAIM = 200;

export class QueueLoop {
	private timer: Timer | undefined;
	private claiming: Promise<void> | null = null;
	private again = false;
	private failures = 0;
	private active = false;
	/** Slots promised to claims under way (settle statements that also claim: `reserve`). */
	private reserved = 0;
	private onRefilled: (() => void) | null = null;

	constructor(
		private readonly engine: Engine,
		private readonly runner: Runner
	) {}

	start(): void {
		this.active = true;
		this.wake();
	}

	/**
	 * Stops claiming; resolves when the claims in flight (here and in settle statements) have
	 * finished and their runs started (at most `ms`).
	 */
	async stop(ms: number): Promise<void> {
		this.active = false;
		this.engine.clock.clearTimeout(this.timer);
		const refilled = this.reserved > 0 ? new Promise<void>((r) => (this.onRefilled = r)) : null;
		if (!this.claiming && !refilled) return;
		let t;
		await Promise.race([
			Promise.all([this.claiming, refilled]),
			new Promise((r) => (t = this.engine.clock.setTimeout(() => r(undefined), ms)))
		]);
		this.engine.clock.clearTimeout(t);
		this.onRefilled = null;
	}

	private get room(): number {
		return this.engine.timing.concurrency - this.runner.queuedActive - this.reserved;
	}

	/**
	 * How many queued runs a settle statement may claim: the free slots, plus the `freed` slots
	 * of the queued runs it settles (they free once it returns). Held until `refilled`.
	 */
	reserve(freed: number): number {
		if (!this.active) return 0;
		const limit = Math.max(0, Math.min(this.room + freed, MAX_CLAIM));
		this.reserved += limit;
		return limit;
	}

	/** A settle statement that reserved `limit` slots returned (claim null: it failed). */
	refilled(limit: number, claim: QueueClaim | null): void {
		this.reserved -= limit;
		// Started even while stopping: stop() waits for them, then gives them its grace period.
		for (const run of claim?.runs ?? []) this.runner.execute(run, true);
		if (this.reserved === 0) this.onRefilled?.();
		if (!claim) return;
		// Drained for now: the timer waits for the next queued run, as after a claim here.
		if (claim.runs.length < limit && !this.claiming && this.active) this.arm(claim.nextAt);
	}

	/** Claims due queued runs now (coalescing concurrent wake-ups). */
	wake(): void {
		if (!this.active) return;
		if (this.claiming) {
			this.again = true;
			return;
		}
		this.claiming = this.loop().finally(() => {
			this.claiming = null;
			if (this.again) {
				this.again = false;
				this.wake();
			}
		});
	}

	private async loop(): Promise<void> {
		const { sql, instanceId, timing, log, clock } = this.engine;
		let next: Date | null = null;
		try {
			for (;;) {
				this.again = false;
				const room = this.room;
				if (room <= 0 || !this.active) break;
				const limit = Math.min(room, MAX_CLAIM);
				const claim = await ledger.claimQueued(sql, limit, instanceId, timing.leaseMs);
				for (const run of claim.runs) this.runner.execute(run, true);
				next = claim.nextAt;
				if (claim.runs.length < limit) break;
			}
			this.failures = 0;
		} catch (err) {
			if (this.failures++ === 0) log.error({ err }, 'queue claim failed; retrying');
		}
		if (!this.active) return;
		if (this.failures) {
			clock.clearTimeout(this.timer);
			this.timer = clock.setTimeout(() => this.wake(), backoff(timing, this.failures));
		} else this.arm(next);
	}

	/** Re-arms the timer for the next queued run (at most `pollMs` away). */
	private arm(next: Date | null): void {
		const { clock, timing } = this.engine;
		clock.clearTimeout(this.timer);
		const delay = next ? Math.min(Math.max(0, next.getTime() - this.engine.time.now()) + 5, timing.pollMs) : timing.pollMs;
		this.timer = clock.setTimeout(() => this.wake(), delay);
	}
}
