/**
 * What each system's adapter (cronkit.ts, pg-boss.ts, graphile.ts) provides to a trial, and the
 * schedules they share.
 */
import type { Sql } from 'postgres';
import type { CronSpec, IdleSpec, Kept, QueueSpec } from './protocol';

export type QueueRig = {
	/** Starts the worker; `onJob` is called at every handler start. */
	start(onJob: () => void): Promise<void>;
	/** Jobs whose completion is durable in the database. */
	completed(): Promise<number>;
	/** What stays in the database afterwards. */
	kept(): Promise<Kept>;
	/** The NOTIFY channels the system uses (profile mode listens to them). */
	channels: string[];
	stop(): Promise<void>;
};

export type Running = {
	kept(): Promise<Kept>;
	stop(): Promise<void>;
	/** Cron trials: what the system itself recorded about the firing, in a line (optional). */
	detail?(): Promise<string>;
};

/** `admin` is the trial's own connection (postgres.js), for counting and sizing, not the system's pool. */
export type System = {
	/** Schema installed and `spec.jobs` no-op jobs queued; nothing started. */
	queue(spec: QueueSpec, admin: Sql): Promise<QueueRig>;
	/** `spec.jobs` schedules due at `spec.at` and nothing else, the worker running; `onStart` at each handler start. */
	cron(spec: CronSpec, onStart: () => void, admin: Sql): Promise<Running>;
	/** `spec.schedules` schedules, none due for months, the worker running. */
	idle(spec: IdleSpec, admin: Sql): Promise<Running>;
};

/** Five-field cron (UTC) due at `at` only: its minute, hour, day and month. */
export function onceAt(at: number): string {
	const d = new Date(at);
	return `${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
}

/**
 * `n` distinct five-field schedules (UTC), yearly, in a month five to six months away: none is
 * due during a trial, and every system has to keep all of them armed.
 */
export function farSchedules(n: number, now = Date.now()): string[] {
	const month = ((new Date(now).getUTCMonth() + 5) % 12) + 1;
	return Array.from({ length: n }, (_, i) => `${i % 60} ${Math.floor(i / 60) % 24} ${1 + (Math.floor(i / 1440) % 28)} ${month} *`);
}

/** Relation sizes of a schema's tables (indexes and TOAST included). */
export const SCHEMA_BYTES = `select coalesce(sum(pg_total_relation_size(c.oid)), 0)::float8 as bytes
	from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind in ('r', 'p')`;
