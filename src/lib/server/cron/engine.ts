/**
 * What every part of the scheduler is given: the database, the log, the clocks, this instance's
 * id and the timing constants. Passed explicitly, so each part can be built and tested alone.
 */
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import type { Db } from '../db';
import type { Clock } from './clock';
import type { DbTime } from './db-time';

export type Timing = {
	/** How long a running run's lease lasts; renewed every third of it. */
	leaseMs: number;
	/**
	 * Safety-net poll of the queue. NOTIFY wakes it for every enqueue, each claim arms it for
	 * the next queued run's `run_at`, and a LISTEN resubscription wakes it: the poll only finds
	 * a queued run nobody was told about.
	 */
	pollMs: number;
	/** Safety-net reload of every job, and the self-check of the timers. */
	resyncMs: number;
	/**
	 * How often the LISTEN connection proves it still hears us (a ping to ourselves): a lost
	 * subscription is found within this plus the echo's second, then resynced and the queue woken.
	 */
	listenCheckMs: number;
	/** How many queued runs one instance runs at once. */
	concurrency: number;
	/** A tick this late is a missed tick (downtime, a frozen process), handled by catch-up. */
	lateToleranceMs: number;
	/** First and longest wait before a failed statement is tried again. */
	retryMinMs: number;
	retryMaxMs: number;
};

export const DEFAULT_TIMING: Timing = {
	leaseMs: 30_000,
	pollMs: 30_000,
	resyncMs: 15_000,
	listenCheckMs: 10_000,
	concurrency: 100,
	lateToleranceMs: 5_000,
	retryMinMs: 100,
	retryMaxMs: 1_000
};

export type Engine = {
	sql: Sql;
	db: Db;
	log: Logger;
	clock: Clock;
	/** The database's clock, estimated: what decides when a tick is due. */
	time: DbTime;
	instanceId: string;
	timing: Timing;
};

/** Backoff for a statement that keeps failing: doubles from `retryMinMs` up to `retryMaxMs`. */
export function backoff(timing: Timing, failures: number): number {
	return Math.min(timing.retryMaxMs, timing.retryMinMs * 2 ** Math.max(0, failures - 1));
}
