/**
 * Group commit of run outcomes: while one settle statement is in flight the next outcomes
 * gather, so a burst of completions costs a few statements, not one each. The jobs' latest
 * state follows behind (job-state.ts), one statement for many batches. A failed statement
 * never drops an outcome: it is tried again with backoff until it is written, or until the
 * run's lease has passed (by then the ledger refuses it and the run is `interrupted`).
 */
import { runDuration, runsTotal } from '../metrics';
import { backoff, type Engine } from './engine';
import { delay } from './clock';
import type { JobStates } from './job-state';
import * as ledger from './ledger';
import type { Outcome, QueueClaim } from './ledger';
import type { QueueLoop } from './queue';

type Pending = {
	outcome: Outcome;
	/** A queued run's handler has stopped: its slot frees once this is written. */
	frees: boolean;
	/** Monotonic time past which the run's lease is surely gone. */
	leaseUntil: number;
	waiters: (() => void)[];
};

/**
 * The metrics of a settled batch: one counter increment per job and status (prom-client hashes
 * the labels at each call, once per run before), one histogram observation per run.
 */
function countRuns(settled: ledger.Settled[]): void {
	const counts = new Map<string, { job: string; status: string; n: number }>();
	for (const s of settled) {
		if (!s.transitioned) continue;
		const key = `${s.jobKey}\u0000${s.status}`;
		const c = counts.get(key);
		if (c) c.n++;
		else counts.set(key, { job: s.jobKey, status: s.status, n: 1 });
		if (s.durationMs !== null) runDuration.observe({ job: s.jobKey }, s.durationMs / 1000);
	}
	for (const c of counts.values()) runsTotal.inc({ job: c.job, status: c.status }, c.n);
}

export class OutcomeWriter {
	private pending = new Map<number, Pending>();
	private flushing: Promise<void> | null = null;
	private failures = 0;
	/** Set when stopping gave up on an unreachable database: stop retrying. */
	private closed = false;

	constructor(
		private readonly engine: Engine,
		private readonly deps: {
			onRetriesQueued: () => void;
			/** Where the settled runs go for their jobs' denormalised state (written behind). */
			jobStates: JobStates;
			/** The queue, whose freed slots a settle statement refills (queue.ts `reserve`). */
			queue?: Pick<QueueLoop, 'reserve' | 'refilled'>;
		}
	) {}

	get size(): number {
		return this.pending.size;
	}

	/**
	 * Records outcomes; resolves once they are durable (or moot: the lease passed). `frees`:
	 * they end queued runs whose handlers have stopped (the statement may refill their slots).
	 */
	complete(outcomes: Outcome[], leaseUntil: number, frees = false): Promise<void> {
		const waits = outcomes.map(
			(o) =>
				new Promise<void>((resolve) => {
					const p = this.pending.get(o.id);
					if (p) {
						// The same run twice in one batch (timed out, then stopped): merge.
						p.outcome.release ||= o.release;
						p.frees ||= frees;
						p.waiters.push(resolve);
					} else this.pending.set(o.id, { outcome: o, frees, leaseUntil, waiters: [resolve] });
				})
		);
		this.kick();
		return Promise.all(waits).then(() => undefined);
	}

	/**
	 * Starts a flush unless one is under way. Outcomes that arrive after a flush's last batch
	 * but before it has settled start the next one (nothing waits for a flush that has ended).
	 */
	private kick(): void {
		if (this.flushing) return;
		this.flushing = this.flush().finally(() => {
			this.flushing = null;
			if (this.pending.size && !this.closed) this.kick();
		});
	}

	/** Waits for what is being written, at most `ms`; false if it did not finish (database away). */
	async drain(ms: number): Promise<boolean> {
		if (!this.flushing) return true;
		let timer;
		const written = (async () => {
			// A flush that ends with outcomes left starts the next one.
			while (this.flushing) await this.flushing;
			return true;
		})();
		const done = await Promise.race([
			written,
			new Promise<boolean>((r) => (timer = this.engine.clock.setTimeout(() => r(false), ms)))
		]);
		this.engine.clock.clearTimeout(timer);
		if (!done) this.closed = true;
		return done;
	}

	private async flush(): Promise<void> {
		const { clock, log, sql, timing, instanceId } = this.engine;
		while (this.pending.size) {
			const batch = [...this.pending.values()].slice(0, 500);
			for (const b of batch) this.pending.delete(b.outcome.id);
			const outcomes = batch.map((b) => b.outcome);
			const limit = this.deps.queue?.reserve(batch.filter((b) => b.frees).length) ?? 0;
			let reserved = limit;
			const refilled = (claim: QueueClaim | null) => {
				this.deps.queue?.refilled(reserved, claim);
				reserved = 0;
			};
			try {
				let result;
				try {
					result = await ledger.settle(sql, outcomes, { jobState: 'caller', claim: { limit, instanceId, leaseMs: timing.leaseMs } });
				} catch (err) {
					// The claim lost a race for a `forbid` job's slot: settle without claiming.
					if (!limit || !ledger.isSlotRace(err)) throw err;
					result = await ledger.settle(sql, outcomes, { jobState: 'caller' });
				}
				const { settled, retries } = result;
				refilled(result.claim);
				this.failures = 0;
				this.deps.jobStates.add(settled);
				const fenced = settled.filter((s) => s.fenced).map((s) => s.id);
				if (fenced.length) log.warn({ runs: fenced }, 'outcomes refused: this instance no longer held their leases');
				countRuns(settled);
				for (const b of batch) for (const w of b.waiters) w();
				if (retries) this.deps.onRetriesQueued();
				// Let the runs just settled leave the runner (their slots were refilled by this
				// statement) before the next batch asks how many slots it may fill.
				if (limit) await new Promise<void>((r) => setImmediate(r));
			} catch (err) {
				if (reserved) refilled(null);
				this.failures++;
				const now = clock.monotonic();
				const moot = batch.filter((b) => now > b.leaseUntil);
				if (this.failures === 1 || moot.length) log.error({ err, moot: moot.map((b) => b.outcome.id) }, 'could not record run outcomes; retrying');
				for (const b of moot) for (const w of b.waiters) w();
				for (const b of batch) {
					if (now > b.leaseUntil) continue;
					const again = this.pending.get(b.outcome.id);
					if (again) {
						again.outcome.release ||= b.outcome.release;
						again.frees ||= b.frees;
						again.waiters.push(...b.waiters);
					} else this.pending.set(b.outcome.id, b);
				}
				if (this.closed) return;
				await delay(clock, backoff(timing, this.failures));
			}
		}
	}
}
