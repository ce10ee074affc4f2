/**
 * The queue loop: claims due `queued` runs (manual, API, retry, catch-up) with FOR UPDATE SKIP
 * LOCKED, as many as there is room for, whenever NOTIFY, a finished run or its timer wakes it.
 * Its timer is always re-armed, whatever a claim does: at the next queued run's `run_at`, at
 * most `pollMs` away, sooner (with backoff) after a failure.
 */
import type { Timer } from './clock';
import { backoff, type Engine } from './engine';
import * as ledger from './ledger';
import type { Runner } from './runner';

export class QueueLoop {
	private timer: Timer | undefined;
	private claiming: Promise<void> | null = null;
	private again = false;
	private failures = 0;
	private active = false;

	constructor(
		private readonly engine: Engine,
		private readonly runner: Runner
	) {}

	start(): void {
		this.active = true;
		this.wake();
	}

	/** Stops claiming; resolves when a claim in flight has finished (at most `ms`). */
	async stop(ms: number): Promise<void> {
		this.active = false;
		this.engine.clock.clearTimeout(this.timer);
		if (!this.claiming) return;
		let t;
		await Promise.race([this.claiming, new Promise((r) => (t = this.engine.clock.setTimeout(() => r(undefined), ms)))]);
		this.engine.clock.clearTimeout(t);
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
				const room = timing.concurrency - this.runner.queuedActive;
				if (room <= 0 || !this.active) break;
				const limit = Math.min(room, 200);
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
		clock.clearTimeout(this.timer);
		const delay = this.failures
			? backoff(timing, this.failures)
			: next
				? Math.min(Math.max(0, next.getTime() - this.engine.time.now()) + 5, timing.pollMs)
				: timing.pollMs;
		this.timer = clock.setTimeout(() => this.wake(), delay);
	}
}
