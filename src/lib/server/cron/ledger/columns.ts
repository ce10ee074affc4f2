/**
 * What the ledger's statements share: the run columns they return, the claimed run's shape,
 * and how arrays and prepared statements are bound.
 */
import type { PendingQuery, Row } from 'postgres';
import type { Queryable } from '../../db';
import { FAILED_STATUSES, type ExecutionStatus, type OverlapPolicy, type Trigger } from '../../db/schema';

// Arrays bound for unnest() carry dates as ISO strings and booleans as an array literal:
// postgres.js tags an array with its first element's scalar type (timestamptz, bool), which
// PostgreSQL cannot cast to the array type; untyped values take the type of the cast.
/**
 * Instances insert the same ticks at the same moment; inserting them in one global order keeps
 * their unique-index waits from forming a cycle (a deadlock).
 */
export function inKeyOrder<T extends { jobKey: string; scheduledFor: Date }>(ticks: T[]): T[] {
	return [...ticks].sort((a, b) => (a.jobKey < b.jobKey ? -1 : a.jobKey > b.jobKey ? 1 : a.scheduledFor.getTime() - b.scheduledFor.getTime()));
}

/**
 * The direction of `order by id` for a page of run history. The (job_id, id desc) and
 * (status, id desc) indexes are NULLS LAST, and only an ORDER BY spelled the same way (or its
 * exact reverse) can walk them: under a bare `desc` (NULLS FIRST) a generic plan walks the
 * primary key backwards and filters, reading the whole table when few rows match. Without a
 * job or a status the primary key (ASC NULLS LAST) serves, read backwards for a bare `desc`.
 */
export function historyOrder(sql: Queryable, by: { job?: string; status?: string }, newestFirst = true): PendingQuery<Row[]> {
	const onPk = !by.job && !by.status;
	return sql.unsafe(newestFirst ? (onPk ? 'desc' : 'desc nulls last') : onPk ? 'asc' : 'asc nulls first');
}

/** The failed statuses as an SQL list, for the statements built as text. */
export const FAILED_SQL = FAILED_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * The statements of the run path are named prepared statements: `sql.unsafe` otherwise sends
 * each call unnamed, parsed and planned again (about as much server time as running it).
 */
export const PREPARED = { prepare: true } as const;

// Rows are found by id through the primary key: each statement that joins the runs to a list
// of ids also says `e.id = any(<ids>)`. Joined to an unnest() or a CTE alone, the planner
// guesses their size and, on a table of some thousands of rows, hashes them against a
// sequential scan of the whole ledger (measured: most of a settle's time at 5,000 rows).

export const boolArray = (xs: boolean[]) => `{${xs.map((x) => (x ? 't' : 'f')).join(',')}}`;

export type ClaimedRun = {
	id: number;
	jobKey: string;
	trigger: Trigger;
	scheduledFor: Date | null;
	attempt: number;
	status: ExecutionStatus;
	startedAt: Date | null;
	/**
	 * The job row's `updated_at` when the run was claimed from the queue: a run queued right
	 * after an edit must not run with the copy of the job the instance loaded before it.
	 */
	jobUpdatedAt?: Date | null;
};

export type Tick = { jobKey: string; scheduledFor: Date; overlap: OverlapPolicy };

export const RUN_COLUMNS = 'id, job_id as "jobKey", trigger, scheduled_for as "scheduledFor", attempt, status, started_at as "startedAt"';
export const RAW_RUN_COLUMNS = 'id, job_id, trigger, scheduled_for, attempt, status, started_at';
/** For claims from the queue: the claimed run's job row version (`ClaimedRun.jobUpdatedAt`), `alias` the claimed rows. */
export const jobUpdatedAt = (alias: string) => `(select j.updated_at from cron_job j where j.key = ${alias}.job_id) as "jobUpdatedAt"`;
export const DB_NOW_MS = '(extract(epoch from now()) * 1000)::float8';
