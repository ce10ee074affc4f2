/**
 * Jobs' denormalised state (latest run, consecutive failures on `cron_job`), written behind the
 * outcomes: the outcome writer folds every batch it settles in here, and the state of all the
 * jobs touched is written at most `flushMs` later, in one statement (jobs.ts `writeJobStates`).
 * A job that runs hundreds of times a second has its row written a few times a second instead of
 * once per batch, and settling runs never waits on job-row locks.
 *
 * Nothing is dropped: a failed write keeps its states, merged with what arrived meanwhile, and is
 * tried again with backoff; `flush()` writes everything now (the scheduler calls it on stop).
 * The list page, the job API and the CLI read these columns: they lag the ledger by at most
 * `flushMs` while the database answers.
 */
import { isFailed } from '../../names';
import type { Timer } from './clock';
import { backoff, type Engine } from './engine';
import { writeJobStates, type JobNews } from './jobs';
import type { Settled } from './ledger';

/** How long a job's state may lag its latest run (while the database answers). */
export const JOB_STATE_FLUSH_MS = 250;

/** `later` folded on top of `earlier` (same job). */
function merge(earlier: JobNews, later: JobNews): JobNews {
	return later.reset ? later : { ...later, failures: earlier.failures + later.failures, reset: earlier.reset };
}

export class JobStates {
	private pending = new Map<string, JobNews>();
	private timer: Timer | undefined;
	private writing: Promise<void> | null = null;
	private failures = 0;

	constructor(
		private readonly engine: Engine,
		private readonly flushMs = JOB_STATE_FLUSH_MS
	) {}

	get size(): number {
		return this.pending.size;
	}

	/** Folds runs that just ended (one settle statement's rows, in any order). */
	add(settled: Settled[]): void {
		const ended = settled.filter((s) => s.transitioned).sort((a, b) => a.id - b.id);
		if (!ended.length) return;
		for (const s of ended) {
			const run: JobNews = {
				key: s.jobKey,
				startedAt: s.startedAt,
				status: s.status,
				durationMs: s.durationMs,
				failures: isFailed(s.status) ? 1 : 0,
				reset: s.status === 'succeeded'
			};
			const before = this.pending.get(s.jobKey);
			this.pending.set(s.jobKey, before ? merge(before, run) : run);
		}
		this.schedule(this.flushMs);
	}

	private schedule(ms: number): void {
		if (this.timer || this.writing) return;
		this.timer = this.engine.clock.setTimeout(() => {
			this.timer = undefined;
			void this.flush();
		}, ms);
	}

	/** Writes every pending state now (after a write already under way). */
	async flush(): Promise<void> {
		this.engine.clock.clearTimeout(this.timer);
		this.timer = undefined;
		while (this.writing) await this.writing;
		if (!this.pending.size) return;
		const batch = [...this.pending.values()];
		this.pending.clear();
		this.writing = writeJobStates(this.engine.sql, batch).then(
			() => {
				this.failures = 0;
			},
			(err: unknown) => {
				if (this.failures++ === 0) this.engine.log.warn({ err, jobs: batch.length }, "could not write jobs' latest state; retrying");
				// Kept, with what arrived meanwhile folded on top.
				for (const s of batch) {
					const later = this.pending.get(s.key);
					this.pending.set(s.key, later ? merge(s, later) : s);
				}
			}
		);
		try {
			await this.writing;
		} finally {
			this.writing = null;
		}
		if (this.pending.size) this.schedule(this.failures ? backoff(this.engine.timing, this.failures) : this.flushMs);
	}

	/** Stops the timer (after a final `flush`); states still pending are given up, loudly. */
	stop(): void {
		this.engine.clock.clearTimeout(this.timer);
		this.timer = undefined;
		if (this.pending.size) this.engine.log.error({ jobs: [...this.pending.keys()] }, "stopped with jobs' latest state unwritten (the database did not answer)");
	}
}
