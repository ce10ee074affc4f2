/**
 * Run history for the admin pages (a job's history, /admin/cron/executions): keyset pages on
 * the indexes that exist, so page 10,000 costs what page 1 does on 10 M rows.
 *
 * - One filter rides an index: the job on (job_id, id desc), else the status on (status, id
 *   desc), else the primary key. A time range becomes an id range first (ids grow with time:
 *   a binary search on the primary key, one statement).
 * - Filters no index serves (trigger; status when a job is chosen too) are applied to at most
 *   SCAN_BUDGET rows per page. A page may then hold fewer rows than asked, and "Older" goes on
 *   from where the scan stopped, so a rare match never turns into a scan of all history.
 */
import type { PendingQuery, Row, Sql } from 'postgres';
import { z } from 'zod';
import { EXECUTION_STATUSES, TRIGGERS, type ExecutionStatus, type Trigger } from '../../cron-names';
import { jobKeySchema } from '../../schemas/cron';
import { historyOrder } from '../cron/ledger';
import type { ExecutionView } from '../cron/service';
import { wallTimeToInstant } from './zoned';

export const PAGE_SIZE = 25;
export const SCAN_BUDGET = 5_000;

/** A row of the history tables: the REST API's view of a run, less output, result and stack; the error's first 300 characters. */
export type RunRow = Pick<
	ExecutionView,
	'id' | 'jobKey' | 'trigger' | 'status' | 'scheduledFor' | 'runAt' | 'startedAt' | 'finishedAt' | 'durationMs' | 'attempt' | 'instanceId' | 'triggeredBy' | 'errorMessage'
>;

export type RunFilter = { job?: string; status?: ExecutionStatus; trigger?: Trigger; from?: Date; to?: Date };
export type Cursor = { before?: number; after?: number };

export type RunPage = {
	runs: RunRow[];
	/** `before` cursor of the next older page, null at the oldest. */
	older: number | null;
	/** `after` cursor of the next newer page, null at the newest. */
	newer: number | null;
	/** Rows examined for filters no index serves (null when every filter rode an index). */
	scanned: number | null;
	/** The scan budget ran out before the page filled: older matches may exist further back. */
	partial: boolean;
};

const cursor = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().catch(undefined);

/** The query string of a history page; bad values are dropped (a filter form cannot 500). */
export const runQuerySchema = z.object({
	job: jobKeySchema.optional().catch(undefined),
	status: z.enum(EXECUTION_STATUSES).optional().catch(undefined),
	trigger: z.enum(TRIGGERS).optional().catch(undefined),
	from: z.string().max(40).optional().catch(undefined),
	to: z.string().max(40).optional().catch(undefined),
	before: cursor,
	after: cursor
});
export type RunQuery = z.infer<typeof runQuerySchema>;

/** Empty form fields (`?status=`) count as absent. */
export function queryObject(params: URLSearchParams): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of params) if (v.trim() !== '') out[k] = v.trim();
	return out;
}

export type ParsedRunQuery = { filter: RunFilter; cursor: Cursor; query: RunQuery; errors: Partial<Record<'from' | 'to', string>> };

/** Reads the filters; `from`/`to` are `datetime-local` wall times in `zone`. */
export function parseRunQuery(params: URLSearchParams, zone: string): ParsedRunQuery {
	const query = runQuerySchema.parse(queryObject(params));
	const errors: ParsedRunQuery['errors'] = {};
	const when = (field: 'from' | 'to') => {
		const raw = query[field];
		if (!raw) return undefined;
		const at = wallTimeToInstant(raw, zone);
		if (!at) errors[field] = 'must be a date and time (YYYY-MM-DDTHH:MM)';
		return at ?? undefined;
	};
	const from = when('from');
	const to = when('to');
	if (from && to && from >= to) errors.to = 'must be after From';
	return {
		filter: { job: query.job, status: query.status, trigger: query.trigger, from, to },
		cursor: query.after !== undefined ? { after: query.after } : { before: query.before },
		query,
		errors
	};
}

const COLUMNS = `id, job_id as "jobKey", trigger, status, scheduled_for as "scheduledFor", run_at as "runAt",
	started_at as "startedAt", finished_at as "finishedAt", duration_ms as "durationMs", attempt,
	instance_id as "instanceId", triggered_by as "triggeredBy", left(error_message, 300) as "errorMessage"`;

type RawRun = Omit<RunRow, 'scheduledFor' | 'runAt' | 'startedAt' | 'finishedAt'> & {
	scheduledFor: Date | null;
	runAt: Date;
	startedAt: Date | null;
	finishedAt: Date | null;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toRow(r: RawRun): RunRow {
	return { ...r, id: Number(r.id), scheduledFor: iso(r.scheduledFor), runAt: r.runAt.toISOString(), startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt) };
}

/**
 * A binary search over the primary key for the first id recorded at or after `param`: ids
 * grow with `created_at`, and each probe is one index lookup (about 24 for 10 M rows).
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
	const range = { lo: row.lo === null ? undefined : Number(row.lo), hi: row.hi === null ? undefined : Number(row.hi) };
	if (range.lo !== undefined && range.hi !== undefined && range.lo >= range.hi) return null;
	return range;
}

/** One page of runs, newest first. */
export async function listRuns(sql: Sql, filter: RunFilter, at: Cursor = {}, opts: { limit?: number; budget?: number } = {}): Promise<RunPage> {
	const limit = opts.limit ?? PAGE_SIZE;
	const budget = opts.budget ?? SCAN_BUDGET;
	const empty: RunPage = { runs: [], older: null, newer: null, scanned: null, partial: false };
	const range = await idRange(sql, filter.from, filter.to);
	if (!range) return empty;

	const desc = at.after === undefined;
	const order = historyOrder(sql, filter, desc);
	const where = [
		filter.job ? sql`and job_id = ${filter.job}` : filter.status ? sql`and status = ${filter.status}` : null,
		desc ? (at.before !== undefined ? sql`and id < ${at.before}` : null) : sql`and id > ${at.after!}`,
		range.lo !== undefined ? sql`and id >= ${range.lo}` : null,
		range.hi !== undefined ? sql`and id < ${range.hi}` : null
	].filter((f) => f !== null);
	const residual = [filter.job && filter.status ? sql`and status = ${filter.status}` : null, filter.trigger ? sql`and trigger = ${filter.trigger}` : null].filter(
		(f) => f !== null
	);
	const conds = (parts: PendingQuery<Row[]>[]) => parts.reduce((acc, p) => sql`${acc} ${p}`, sql``);

	let rows: RawRun[];
	let scanned: number | null = null;
	let edge: number | null = null;
	if (!residual.length) {
		rows = await sql<RawRun[]>`
			select ${sql.unsafe(COLUMNS)} from cron_job_execution
			where true ${conds(where)}
			order by id ${order}
			limit ${limit + 1}`;
	} else {
		const res = await sql<(RawRun & { scanned: number; edge: number | null })[]>`
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
				select ${sql.unsafe(COLUMNS)} from cron_job_execution e where e.id in (select id from hit)
			) r on true
			order by r.id ${order}`;
		scanned = res[0]?.scanned ?? 0;
		edge = res[0]?.edge === null || res[0]?.edge === undefined ? null : Number(res[0].edge);
		rows = res.filter((r) => r.id !== null);
	}

	const more = rows.length > limit;
	const page = rows.slice(0, limit).map(toRow);
	const exhausted = scanned !== null && scanned >= budget;
	// Where the next page in the scan's direction starts: after the last row shown, or, when
	// the budget ran out first, after the last row examined.
	const far = more ? page[page.length - 1]!.id : exhausted ? edge : null;
	if (desc) {
		return {
			runs: page,
			older: far,
			newer: at.before !== undefined ? (page[0]?.id ?? at.before) - (page.length ? 0 : 1) : null,
			scanned,
			partial: exhausted && !more
		};
	}
	page.reverse();
	return {
		runs: page,
		older: (page[page.length - 1]?.id ?? at.after! + 1),
		newer: far,
		scanned,
		partial: exhausted && !more
	};
}
