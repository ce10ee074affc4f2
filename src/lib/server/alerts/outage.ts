/**
 * How a part of the alerts (the evaluator's passes, the senders, the monitor watch) lives
 * through the database being away: it counts consecutive failures, logs one warning when an
 * outage starts and one line when it ends (never one per try), and says how long to wait before
 * the next try: `minMs`, doubling, at most `maxMs`. docs/architecture.md, "Faults".
 */
import type { Logger } from 'pino';
import type { Clock } from '../cron/clock';

export type OutageOptions = {
	log: Logger;
	clock: Clock;
	/** What fails, for the log: "alert evaluation", "notification delivery" … */
	what: string;
	minMs?: number;
	maxMs?: number;
};

export class Outage {
	private failures = 0;
	private retryAt = 0;
	private readonly minMs: number;
	private readonly maxMs: number;

	constructor(private readonly opts: OutageOptions) {
		this.minMs = opts.minMs ?? 1_000;
		this.maxMs = opts.maxMs ?? 30_000;
	}

	/** Whether the last try failed. */
	get down(): boolean {
		return this.failures > 0;
	}

	/** How long until the next try is due (0 outside an outage). */
	waitMs(): number {
		return this.failures ? Math.max(0, this.retryAt - this.opts.clock.monotonic()) : 0;
	}

	/** A try failed: warns if it is the first of an outage; returns the wait before the next. */
	failed(err: unknown): number {
		if (this.failures++ === 0) this.opts.log.warn({ err }, `${this.opts.what} failed; trying again with backoff until the database answers`);
		const wait = Math.min(this.maxMs, this.minMs * 2 ** (this.failures - 1));
		this.retryAt = this.opts.clock.monotonic() + wait;
		return wait;
	}

	/** A try worked: ends the outage, if there was one, with one line. */
	succeeded(): void {
		if (!this.failures) return;
		this.opts.log.info({ failures: this.failures }, `${this.opts.what} works again`);
		this.failures = 0;
		this.retryAt = 0;
	}
}
