/**
 * Every read of `cron_job_execution` outside the scheduler: one execution, a page of history
 * (the REST API, the job page, /admin/cron/executions) and a run's retry chain. Pages are
 * keyset pages on the indexes that exist, so page 10,000 costs what page 1 does on 10 M rows
 * (docs/architecture.md, "Reading history"):
 *
 * - One filter rides an index: the job on (job_id, id desc), else the status on (status, id
 *   desc) (partial: every status but `running` and `succeeded`) or, for `running`, the partial
 *   index of running runs, else the primary key. A time range becomes an id range first (ids
 *   grow with time: a binary search on the primary key, one statement).
 * - Filters no index serves (trigger; `succeeded`, the bulk of history; status when a job is
 *   chosen too) are applied to at most
 *   `budget` rows per page. A page may then hold fewer rows than asked, and "Older" goes on
 *   from where the scan stopped, so a rare match never turns into a scan of all history. The
 *   REST API asks for no budget (`null`): its pages are always full.
 */
import type { PendingQuery, Row, Sql } from 'postgres';
import { iso } from '../../format/time';
import { EXECUTION_STATUSES, FAILED_STATUSES, type ExecutionStatus, type Trigger } from '../db/schema';
import { historyOrder } from './ledger';

/** An execution as the REST API and the run page show it. */
export type ExecutionView = {
	id: number;
	jobKey: string;
	trigger: Trigger;
	status: ExecutionStatus;
	scheduledFor: string | null;
	runAt: string;
	startedAt: string | null;
	finishedAt: string | null;
	durationMs: number | null;
	attempt: number;
	retryOf: number | null;
	instanceId: string | null;
	leaseExpiresAt: string | null;
	triggeredBy: string | null;
	output: string | null;
	/** Bytes of output produced (offsets of `GET …/output?offset=` count these). */
	outputBytes: number;
	result: unknown;
	errorMessage: string | null;
	errorStack: string | null;
	/** For runs with a process of their own (command jobs, isolated code jobs); null otherwise. */
	exitCode: number | null;
	signal: string | null;
	cpuMs: number | null;
	maxRssKb: number | null;
};

/** A row of the history tables: the view less output, result and stack; the error's first 300 characters. */
export type ExecutionRow = Pick<
	ExecutionView,
	'id' | 'jobKey' | 'trigger' | 'status' | 'scheduledFor' | 'runAt' | 'startedAt' | 'finishedAt' | 'durationMs' | 'attempt' | 'instanceId' | 'triggeredBy' | 'errorMessage'
>;

export type ExecutionFilter = { job?: string; status?: ExecutionStatus; trigger?: Trigger; from?: Date; to?: Date };
export type Cursor = { before?: number; after?: number };

export type ExecutionPage<T = ExecutionRow> = {
	executions: T[];
	/** `before` cursor of the next older page, null at the oldest. */
	older: number | null;
	/** `after` cursor of the next newer page, null at the newest. */
	newer: number | null;
	/** Rows examined for filters no index serves (null when every filter rode an index). */
	scanned: number | null;
	/** The scan budget ran out before the page filled: older matches may exist further back. */
	partial: boolean;
};

export type PageOptions = {
	limit?: number;
	/** Rows one page may examine for filters no index serves; null: no limit (every page full). */
	budget?: number | null;
};

export const PAGE_SIZE = 25;
export const SCAN_BUDGET = 5_000;

/** The one column list: each field of a view and the SQL that reads it. */
const COLUMN: Record<keyof ExecutionView, string> = {
	id: 'id',
	jobKey: 'job_id',
	trigger: 'trigger',
	status: 'status',
	scheduledFor: 'scheduled_for',
	runAt: 'run_at',
	startedAt: 'started_at',
	finishedAt: 'finished_at',
	durationMs: 'duration_ms',
	attempt: 'attempt',
	retryOf: 'retry_of',
	instanceId: 'instance_id',
	leaseExpiresAt: 'lease_expires_at',
	triggeredBy: 'triggered_by',
	output: 'output',
	outputBytes: "coalesce(output_bytes, octet_length(output), 0)",
	result: 'result',
	errorMessage: 'error_message',
	errorStack: 'error_stack',
	exitCode: 'exit_code',
	signal: 'signal',
	cpuMs: 'cpu_ms',
	maxRssKb: 'max_rss_kb'
};

const ROW_FIELDS = [
	'id',
	'jobKey',
	'trigger',
	'status',
	'scheduledFor',
	'runAt',
	'startedAt',
	'finishedAt',
	'durationMs',
	'attempt',
	'instanceId',
	'triggeredBy',
	'errorMessage'
] as const satisfies readonly (keyof ExecutionRow)[];

const select = (fields: readonly (keyof ExecutionView)[], override: Partial<Record<keyof ExecutionView, string>> = {}) =>
	fields.map((f) => `${override[f] ?? COLUMN[f]} as "${f}"`).join(', ');

const VIEW_COLUMNS = select(Object.keys(COLUMN) as (keyof ExecutionView)[]);
const ROW_COLUMNS = select(ROW_FIELDS, { errorMessage: 'left(error_message, 300)' });

const DATE_FIELDS = ['scheduledFor', 'runAt', 'startedAt', 'finishedAt', 'leaseExpiresAt'] as const;

/** A row as read (instants as Date) to what leaves the process (instants as ISO text). */
function withIsoDates<T>(raw: Record<string, unknown>): T {
	const out = { ...raw };
	for (const f of DATE_FIELDS) if (f in out) out[f] = iso(out[f] as Date | null);
	return out as T;
}

/** What the live output endpoint reads of a run: its stored output, sizes and status. */
export async function readExecutionOutput(
	sql: Sql,
	id: number
): Promise<{ text: string | null; bytes: number | null; tailAt: number | null; status: ExecutionStatus } | undefined> {
	const [row] = await sql<{ text: string | null; bytes: number | null; tailAt: number | null; status: ExecutionStatus }[]>`
		select output as text, output_bytes as bytes, output_tail_at as "tailAt", status from cron_job_execution where id = ${id}`;
	return row;
}

export async function getExecution(sql: Sql, id: number): Promise<ExecutionView | undefined> {
	const [row] = await sql`select ${sql.unsafe(VIEW_COLUMNS)} from cron_job_execution where id = ${id}`;
	return row ? withIsoDates<ExecutionView>(row) : undefined;
}

/**
 * A binary search over the primary key for the first id recorded at or after `at`: ids grow
 * with `created_at`, and each probe is one index lookup (about 24 for 10 M rows).
 */
function firstIdAtOrAfter(sql: Sql, name: string, at: Date): PendingQuery<Row[]> {
	return sql`${sql.unsafe(name)}(lo, hi) as (
		select min(id), max(id) + 1 from cron_job_execution
		union all
		select case when p.ok then s.lo else (s.lo + s.hi) / 2 + 1 end,
			case when p.ok then (s.lo + s.hi) / 2 else s.hi end
		from ${sql.unsafe(name)} s
		cross join lateral (
			select coalesce((
				select e.created_at >= ${at} from cron_job_execution e
				where e.id >= (s.lo + s.hi) / 2 order by e.id limit 1
			), true) as ok
		) p
		where s.lo < s.hi
	)`;
}

/** The id range [lo, hi) of runs recorded in [from, to); `null` when no run can match. */
export async function idRange(sql: Sql, from?: Date, to?: Date): Promise<{ lo?: number; hi?: number } | null> {
	if (!from && !to) return {};
	if (from && to && from >= to) return null;
	const ctes = [from ? firstIdAtOrAfter(sql, 'a', from) : null, to ? firstIdAtOrAfter(sql, 'b', to) : null].filter((q) => q !== null);
	const [row] = await sql<{ lo: number | null; hi: number | null; empty: boolean }[]>`
		with recursive ${ctes.length === 2 ? sql`${ctes[0]!}, ${ctes[1]!}` : ctes[0]!}
		select ${from ? sql`(select lo from a where lo >= hi)` : sql`null::bigint`} as lo,
			${to ? sql`(select lo from b where lo >= hi)` : sql`null::bigint`} as hi,
			not exists (select 1 from cron_job_execution) as empty`;
	if (!row || row.empty) return null;
	const range = { lo: row.lo ?? undefined, hi: row.hi ?? undefined };
	if (range.lo !== undefined && range.hi !== undefined && range.lo >= range.hi) return null;
	return range;
}

/**
 * `status = '<status>'` spelled as a literal: the indexes that serve a status are partial
 * (`status_idx` leaves out `running` and `succeeded`, `running_idx` holds only `running`), and
 * the planner uses a partial index only when it sees the value, which a generic plan of a
 * prepared statement does not. The value is one of the fixed list, checked here.
 */
function statusIs(sql: Sql, status: ExecutionStatus): PendingQuery<Row[]> {
	if (!(EXECUTION_STATUSES as readonly string[]).includes(status)) throw new Error(`not an execution status: ${status}`);
	return sql.unsafe(`and status = '${status}'`);
}

/** One page of history rows, newest first (the admin pages). */
export function listExecutions(sql: Sql, filter: ExecutionFilter, at: Cursor = {}, opts: PageOptions = {}): Promise<ExecutionPage<ExecutionRow>> {
	return readPage<ExecutionRow>(sql, ROW_COLUMNS, filter, at, opts);
}

/** One page of whole executions, newest first (the REST API). */
export function listExecutionViews(sql: Sql, filter: ExecutionFilter, at: Cursor = {}, opts: PageOptions = {}): Promise<ExecutionPage<ExecutionView>> {
	return readPage<ExecutionView>(sql, VIEW_COLUMNS, filter, at, opts);
}

async function readPage<T extends { id: number }>(sql: Sql, columns: string, filter: ExecutionFilter, at: Cursor, opts: PageOptions): Promise<ExecutionPage<T>> {
	const limit = opts.limit ?? PAGE_SIZE;
	const budget = opts.budget === undefined ? SCAN_BUDGET : opts.budget;
	const empty: ExecutionPage<T> = { executions: [], older: null, newer: null, scanned: null, partial: false };
	const range = await idRange(sql, filter.from, filter.to);
	if (!range) return empty;

	const desc = at.after === undefined;
	// The status rides an index only without a job, and only a status an index holds.
	const byStatus = !filter.job && filter.status && filter.status !== 'succeeded' ? statusIs(sql, filter.status) : null;
	const order = historyOrder(sql, { job: filter.job, status: byStatus ? filter.status : undefined }, desc);
	const where = [
		filter.job ? sql`and job_id = ${filter.job}` : byStatus,
		desc ? (at.before !== undefined ? sql`and id < ${at.before}` : null) : sql`and id > ${at.after!}`,
		range.lo !== undefined ? sql`and id >= ${range.lo}` : null,
		range.hi !== undefined ? sql`and id < ${range.hi}` : null
	].filter((f) => f !== null);
	const residual = [filter.status && !byStatus ? sql`and status = ${filter.status}` : null, filter.trigger ? sql`and trigger = ${filter.trigger}` : null].filter(
		(f) => f !== null
	);
	const conds = (parts: PendingQuery<Row[]>[]) => parts.reduce((acc, p) => sql`${acc} ${p}`, sql``);

	let rows: Record<string, unknown>[];
	let scanned: number | null = null;
	let edge: number | null = null;
	if (!residual.length || budget === null) {
		rows = await sql`
			select ${sql.unsafe(columns)} from cron_job_execution
			where true ${conds([...where, ...residual])}
			order by id ${order}
			limit ${limit + 1}`;
	} else {
		const res = await sql<({ scanned: number; edge: number | null; id: number | null } & Record<string, unknown>)[]>`
			with scan as materialized (
				select id, status, trigger from cron_job_execution
				where true ${conds(where)}
				order by id ${order}
				limit ${budget}
			), hit as (
				select id from scan where true ${conds(residual)} order by id ${order} limit ${limit + 1}
			)
			select s.scanned, s.edge, r.*
			from (select count(*)::int as scanned, ${sql.unsafe(desc ? 'min(id)' : 'max(id)')} as edge from scan) s
			left join lateral (
				select ${sql.unsafe(columns)} from cron_job_execution e where e.id in (select id from hit)
			) r on true
			order by r.id ${order}`;
		scanned = res[0]?.scanned ?? 0;
		edge = res[0]?.edge ?? null;
		rows = res.filter((r) => r.id !== null).map(({ scanned: _s, edge: _e, ...r }) => r);
	}

	const more = rows.length > limit;
	const page = rows.slice(0, limit).map((r) => withIsoDates<T>(r));
	const exhausted = scanned !== null && scanned >= (budget ?? Infinity);
	// Where the next page in the scan's direction starts: after the last row shown, or, when
	// the budget ran out first, after the last row examined.
	const far = more ? page[page.length - 1]!.id : exhausted ? edge : null;
	if (desc) {
		return {
			executions: page,
			older: far,
			newer: at.before !== undefined ? (page[0]?.id ?? at.before) - (page.length ? 0 : 1) : null,
			scanned,
			partial: exhausted && !more
		};
	}
	page.reverse();
	return {
		executions: page,
		older: page[page.length - 1]?.id ?? at.after! + 1,
		newer: far,
		scanned,
		partial: exhausted && !more
	};
}

export type ChainLink = { id: number; attempt: number; status: ExecutionStatus };

/** How far after a run its retry row is looked for among the job's runs (it is written as the run settles). */
const RETRY_LOOKAHEAD = 500;
const MAX_CHAIN = 25;

/**
 * Every attempt of the run's retry chain, first attempt first. Backwards along `retry_of`
 * (primary-key lookups); forwards, a retry is among the job's next runs, so each step reads
 * at most RETRY_LOOKAHEAD rows of (job_id, id desc) instead of searching all history.
 */
export function retryChain(sql: Sql, run: { id: number; jobKey: string }): Promise<ChainLink[]> {
	return sql<ChainLink[]>`
		with recursive back(id, retry_of, attempt, status, depth) as (
			select id, retry_of, attempt, status, 0 from cron_job_execution where id = ${run.id}
			union all
			select e.id, e.retry_of, e.attempt, e.status, b.depth + 1
			from back b join cron_job_execution e on e.id = b.retry_of
			where b.depth < ${MAX_CHAIN}
		), fwd(id, retry_of, attempt, status, depth) as (
			select id, retry_of, attempt, status, 0 from cron_job_execution where id = ${run.id}
			union all
			select n.id, n.retry_of, n.attempt, n.status, f.depth + 1
			from fwd f
			cross join lateral (
				select x.id, x.retry_of, x.attempt, x.status from (
					select e.id, e.retry_of, e.attempt, e.status from cron_job_execution e
					where e.job_id = ${run.jobKey} and e.id > f.id
					order by e.id asc nulls first -- the history index read backwards
					limit ${RETRY_LOOKAHEAD}
				) x
				where x.retry_of = f.id
				limit 1
			) n
			where f.depth < ${MAX_CHAIN} and f.status = any(${FAILED_STATUSES})
		)
		select id, attempt, status from back
		union
		select id, attempt, status from fwd
		order by id`;
}
