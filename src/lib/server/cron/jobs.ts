/**
 * Job rows (`cron_job`): the effective configuration, code defaults beside it for drift, and
 * the sync of code definitions at boot (a deploy never silently overwrites an admin's edit:
 * docs/architecture.md, "Invariants").
 */
import { and, asc, count, eq, gt, ilike, inArray, isNotNull, isNull, not, notInArray, or, sql as q, type SQL } from 'drizzle-orm';
import type { Sql, TransactionSql } from 'postgres';
import { audit } from '../audit';
import type { Db } from '../db';
import { jsonValue } from '../db/json';
import * as schema from '../db/schema';
import { POLICY_DEFAULTS, type CronJob, type JobSettings, type JobSort, type JobSource, type JobState } from '../db/schema';
import { normalizeRules } from '../../schemas/alerts';
import { notify } from './notify';
import { jobsChangedSql } from './run-events';
import type { RegisteredJob } from './types';

/**
 * The state of a code job whose definition has left the code: its row and history stay, it
 * is misconfigured (never armed) until a deploy brings the definition back. Stored as the
 * job's `config_error`, and written and recognised only through these two names.
 */
export const NO_HANDLER = 'no handler registered in code';

export const isOrphaned = (job: Pick<CronJob, 'configError'>): boolean => job.configError === NO_HANDLER;

export const SETTING_FIELDS = [
	'schedule',
	'timezone',
	'enabled',
	'timeoutMs',
	'maxRetries',
	'overlap',
	'catchUp',
	'catchUpMaxAgeMs',
	'alerts',
	'autoDisableAfter'
] as const satisfies readonly (keyof JobSettings)[];

/** JSON with object keys sorted: jsonb keeps its own key order. */
const canonical = (v: unknown): string =>
	JSON.stringify(v, (_k, x: unknown) =>
		x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x
	);

/** Two values of a setting are the same (settings may be objects: `alerts`). */
export function sameSetting(a: unknown, b: unknown): boolean {
	return a === b || (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && canonical(a) === canonical(b));
}

/** Settings that decide which ticks a job owes: changing them restarts the catch-up window. */
const TICK_FIELDS: readonly (keyof JobSettings)[] = ['schedule', 'timezone', 'enabled'];

export function codeSettings(def: RegisteredJob): JobSettings {
	return {
		schedule: def.schedule,
		timezone: def.timezone ?? null,
		enabled: def.enabled ?? POLICY_DEFAULTS.enabled,
		timeoutMs: def.timeoutMs ?? POLICY_DEFAULTS.timeoutMs,
		maxRetries: def.maxRetries ?? POLICY_DEFAULTS.maxRetries,
		overlap: def.overlap ?? POLICY_DEFAULTS.overlap,
		catchUp: def.catchUp ?? POLICY_DEFAULTS.catchUp,
		catchUpMaxAgeMs: def.catchUpMaxAgeMs ?? POLICY_DEFAULTS.catchUpMaxAgeMs,
		alerts: normalizeRules(def.alerts),
		autoDisableAfter: def.autoDisableAfter ?? null
	};
}

export function settingsOf(job: CronJob): JobSettings {
	return {
		schedule: job.schedule,
		timezone: job.timezone,
		enabled: job.enabled,
		timeoutMs: job.timeoutMs,
		maxRetries: job.maxRetries,
		overlap: job.overlap,
		catchUp: job.catchUp,
		catchUpMaxAgeMs: job.catchUpMaxAgeMs,
		alerts: job.alerts,
		autoDisableAfter: job.autoDisableAfter
	};
}

/** Fields whose effective value differs from what code declares (empty for UI jobs). */
export function drift(job: CronJob): (keyof JobSettings)[] {
	const code = job.codeDefaults;
	if (!code) return [];
	const current = settingsOf(job);
	return SETTING_FIELDS.filter((f) => !sameSetting(current[f], code[f]));
}

export function ticksRestart(before: Partial<JobSettings>, after: Partial<JobSettings>): boolean {
	return TICK_FIELDS.some((f) => f in after && after[f] !== before[f]);
}

export type JobFilter = {
	/**
	 * Part of the key or the name, case-insensitive (LIKE wildcards are literal); served by
	 * trigram indexes where pg_trgm is installed (`searchIndexed`).
	 */
	q?: string;
	source?: JobSource;
};

/**
 * Every job row (in key order), or those a filter keeps: the one list read of `cron_job`. With
 * `slice`, only the `limit` rows after the key `after` (boot reads 100,000 jobs a slice at a time).
 */
export async function listJobs(db: Db, filter: JobFilter = {}, slice?: { after: string | null; limit: number }): Promise<CronJob[]> {
	const t = schema.cronJob;
	const where = and(jobFilter(filter), slice?.after != null ? gt(t.key, slice.after) : undefined);
	const rows = db.select().from(t).where(where).orderBy(t.key);
	return slice ? rows.limit(slice.limit) : rows;
}

/** `listJobs` with only `columns` read, a slice at a time (boot reads what the scheduler keeps, not whole rows). */
export async function listJobColumns<K extends keyof CronJob>(db: Db, columns: readonly K[], slice: { after: string | null; limit: number }): Promise<Pick<CronJob, K>[]> {
	const t = schema.cronJob;
	return db
		.select(pick(columns))
		.from(t)
		.where(slice.after != null ? gt(t.key, slice.after) : undefined)
		.orderBy(t.key)
		.limit(slice.limit) as Promise<Pick<CronJob, K>[]>;
}

const pick = <K extends keyof CronJob>(columns: readonly K[]) => {
	const t = schema.cronJob;
	return Object.fromEntries(columns.map((c) => [c, t[c]])) as { [C in K]: (typeof t)[C] };
};

function jobFilter(filter: JobFilter): SQL | undefined {
	const t = schema.cronJob;
	const where: SQL[] = [];
	if (filter.q) {
		const needle = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
		where.push(or(ilike(t.key, needle), ilike(t.name, needle))!);
	}
	if (filter.source) where.push(eq(t.source, filter.source));
	return and(...where);
}

/** The trigram indexes that serve `q` (drizzle/0013_job_search_trigram.sql). */
export const SEARCH_INDEXES = ['cron_job_key_trgm_idx', 'cron_job_name_trgm_idx'] as const;

/**
 * Does the database have the search's trigram indexes? Without pg_trgm the migration leaves
 * them out and search scans every job: still right, slow past some ten thousand jobs.
 */
export async function searchIndexed(sql: Sql): Promise<boolean> {
	const [row] = await sql<{ n: number }[]>`
		select count(*)::int as n from pg_indexes where tablename = 'cron_job' and indexname = any(${[...SEARCH_INDEXES]}::text[])`;
	return row!.n === SEARCH_INDEXES.length;
}

/** What a state depends on besides the row: the jobs with a running run, and the global pause. */
export type StateContext = { running: readonly string[]; paused: boolean };

/** The context of a list without a state filter: nothing reads it (only `stateWhere` does). */
export const NO_STATE: StateContext = { running: [], paused: false };

/**
 * The rows of one state, in SQL: the twin of `jobState` (cron/job-view.ts), in the same order
 * of precedence (misconfigured, running, disabled, failing, paused, idle). The rare states ride
 * partial indexes (drizzle/0011_job_list_indexes.sql).
 */
export function stateWhere(state: JobState, ctx: StateContext): SQL {
	const t = schema.cronJob;
	if (state === 'misconfigured') return isNotNull(t.configError);
	const running = [...ctx.running];
	if (state === 'running') return and(isNull(t.configError), inArray(t.key, running))!;
	const base = [isNull(t.configError), ...(running.length ? [notInArray(t.key, running)] : [])];
	if (state === 'disabled') return and(...base, not(t.enabled))!;
	if (state === 'failing') return and(...base, t.enabled, gt(t.consecutiveFailures, 0))!;
	const quiet = and(...base, t.enabled, eq(t.consecutiveFailures, 0))!;
	// The global pause turns every quiet job `paused`; without it they are `idle`.
	return (state === 'paused') === ctx.paused ? quiet : q`false`;
}

export type JobPageQuery = JobFilter & {
	state?: JobState;
	sort: JobSort;
	offset: number;
	limit: number;
};

/** The ORDER BY of each sort, each served by an index (key: the primary key). */
function orderOf(sort: JobSort): SQL[] {
	const t = schema.cronJob;
	if (sort === 'name') return [asc(t.name), asc(t.key)];
	if (sort === 'next') return [q`${t.nextRunAt} asc nulls last`, asc(t.key)];
	return [asc(t.key)];
}

/**
 * One page of the job list (the admin list at any size): search, source and state filtered,
 * sorted and cut in SQL (`offset`, `limit`). Past the first page the rows skipped are only
 * counted off an index (each sort's index holds the key: an index-only scan) and the page's
 * rows are read by key after: page 500 reads 50 rows, not 25,000.
 */
export async function pageJobColumns<K extends keyof CronJob>(db: Db, columns: readonly K[], query: JobPageQuery, ctx: StateContext): Promise<Pick<CronJob, K>[]> {
	const t = schema.cronJob;
	const where = pageWhere(query, ctx);
	const order = orderOf(query.sort);
	const rows = db.select(pick(columns)).from(t);
	if (query.offset === 0) return rows.where(where).orderBy(...order).limit(query.limit) as Promise<Pick<CronJob, K>[]>;
	const keys = db.select({ key: t.key }).from(t).where(where).orderBy(...order).limit(query.limit).offset(query.offset);
	return rows.where(inArray(t.key, keys)).orderBy(...order) as Promise<Pick<CronJob, K>[]>;
}

/** How many jobs a list's filters keep (a scan of the rows they select: ask `countJobs` when there are none). */
export async function countMatchingJobs(db: Db, query: Omit<JobPageQuery, 'sort' | 'offset' | 'limit'>, ctx: StateContext): Promise<number> {
	const [counted] = await db.select({ n: count() }).from(schema.cronJob).where(pageWhere(query, ctx));
	return counted?.n ?? 0;
}

function pageWhere(query: JobFilter & { state?: JobState }, ctx: StateContext): SQL | undefined {
	return and(jobFilter(query), query.state ? stateWhere(query.state, ctx) : undefined);
}

/**
 * How many jobs there are, whatever a list's filters: one row kept by triggers on `cron_job`
 * (drizzle/0014_job_count.sql), not a count of every job (tens of milliseconds at 100,000, more
 * while rewritten rows await vacuum).
 */
export async function countJobs(sql: Sql): Promise<number> {
	const [row] = await sql<{ n: number }[]>`select n::int as n from cron_job_count`;
	return row!.n;
}

/** How many jobs are in each state (the overview), in one pass over `cron_job`. */
export async function countJobsByState(sql: Sql, ctx: StateContext): Promise<Record<JobState, number>> {
	const running = [...ctx.running];
	const [row] = await sql<Record<'misconfigured' | 'running' | 'disabled' | 'failing' | 'quiet', number>[]>`
		select count(*) filter (where config_error is not null)::int as misconfigured,
			count(*) filter (where config_error is null and key = any(${running}::text[]))::int as running,
			count(*) filter (where config_error is null and key <> all(${running}::text[]) and not enabled)::int as disabled,
			count(*) filter (where config_error is null and key <> all(${running}::text[]) and enabled and consecutive_failures > 0)::int as failing,
			count(*) filter (where config_error is null and key <> all(${running}::text[]) and enabled and consecutive_failures = 0)::int as quiet
		from cron_job`;
	const r = row!;
	return {
		idle: ctx.paused ? 0 : r.quiet,
		running: r.running,
		disabled: r.disabled,
		paused: ctx.paused ? r.quiet : 0,
		failing: r.failing,
		misconfigured: r.misconfigured
	};
}

/**
 * A digest of every job's key and `updated_at`, and of the settings: what the scheduler's
 * resync compares before it reads all the rows (unchanged: nothing to reload). One row
 * whatever the number of jobs.
 */
export async function configVersion(sql: Sql): Promise<string> {
	const [row] = await sql<{ v: string }[]>`
		select md5(coalesce((select string_agg(key || ' ' || (extract(epoch from updated_at) * 1000000)::bigint, ',' order by key) from cron_job), '')
			|| '|' || coalesce((select string_agg(key || ' ' || value::text, ',' order by key) from cron_job_config), '')) as v`;
	return row!.v;
}

export async function findJob(db: Db, key: string): Promise<CronJob | undefined> {
	const [job] = await db.select().from(schema.cronJob).where(eq(schema.cronJob.key, key));
	return job;
}

/**
 * Brings code definitions into the table: new jobs are inserted with their code settings;
 * for existing ones each setting follows code unless an admin changed it (its value differs
 * from the previous code default), in which case the admin's value stays and the drift shows.
 * Code jobs no longer in code are marked misconfigured, not deleted (their history stays).
 */
export async function syncCodeJobs(sql: Sql, definitions: RegisteredJob[]): Promise<{ inserted: string[]; updated: string[] }> {
	const inserted: string[] = [];
	const updated: string[] = [];
	await sql.begin(async (tx) => {
		// One sync at a time across instances booting together.
		await tx`select pg_advisory_xact_lock(7263541878)`;
		const rows = await tx<CronJob[]>`
			select key, schedule, timezone, enabled, timeout_ms as "timeoutMs", max_retries as "maxRetries", overlap,
				catch_up as "catchUp", catch_up_max_age_ms as "catchUpMaxAgeMs", alerts, auto_disable_after as "autoDisableAfter",
				code_defaults as "codeDefaults",
				name, description, config_error as "configError", source
			from cron_job where source = 'code'`;
		const byKey = new Map(rows.map((r) => [r.key, r]));
		for (const def of definitions) {
			const code = codeSettings(def);
			const row = byKey.get(def.key);
			if (!row) {
				await tx`
					insert into cron_job (key, name, description, source, type, schedule, timezone, enabled, timeout_ms, max_retries,
						overlap, catch_up, catch_up_max_age_ms, alerts, auto_disable_after, code_defaults, created_by, updated_by)
					values (${def.key}, ${def.name}, ${def.description ?? ''}, 'code', 'code', ${code.schedule}, ${code.timezone},
						${code.enabled}, ${code.timeoutMs}, ${code.maxRetries}, ${code.overlap}, ${code.catchUp}, ${code.catchUpMaxAgeMs},
						${tx.json(jsonValue(code.alerts))}, ${code.autoDisableAfter}, ${tx.json(jsonValue(code))}, 'code', 'code')
					on conflict (key) do nothing`;
				inserted.push(def.key);
				continue;
			}
			const current = settingsOf(row);
			const previous = row.codeDefaults ?? current;
			const next = { ...current };
			const keptEdits: Partial<Record<keyof JobSettings, { admin: unknown; code: unknown }>> = {};
			for (const f of SETTING_FIELDS) {
				if (sameSetting(current[f], previous[f])) (next as Record<string, unknown>)[f] = code[f];
				else if (!sameSetting(code[f], previous[f])) keptEdits[f] = { admin: current[f], code: code[f] };
			}
			const codeChanged = SETTING_FIELDS.some((f) => !sameSetting(code[f], previous[f]));
			const settingsChanged = SETTING_FIELDS.some((f) => !sameSetting(next[f], current[f]));
			const metaChanged = row.name !== def.name || row.description !== (def.description ?? '') || isOrphaned(row);
			if (!codeChanged && !settingsChanged && !metaChanged) continue;
			await tx`
				update cron_job set name = ${def.name}, description = ${def.description ?? ''},
					schedule = ${next.schedule}, timezone = ${next.timezone}, enabled = ${next.enabled},
					timeout_ms = ${next.timeoutMs}, max_retries = ${next.maxRetries}, overlap = ${next.overlap},
					catch_up = ${next.catchUp}, catch_up_max_age_ms = ${next.catchUpMaxAgeMs},
					alerts = ${tx.json(jsonValue(next.alerts))}, auto_disable_after = ${next.autoDisableAfter},
					code_defaults = ${tx.json(code)},
					config_error = case when config_error = ${NO_HANDLER} then null else config_error end,
					ticks_owed_since = case when ${ticksRestart(current, next)} then now() else ticks_owed_since end,
					updated_at = case when ${settingsChanged} then now() else updated_at end,
					updated_by = case when ${settingsChanged} then 'code' else updated_by end
				where key = ${def.key}`;
			if (codeChanged) {
				await audit(tx, {
					actor: 'code',
					action: 'job.code_defaults',
					entity: 'cron_job',
					entityId: def.key,
					before: previous,
					after: { codeDefaults: code, keptAdminEdits: keptEdits }
				});
			}
			if (settingsChanged) await notify(tx, { t: 'job', key: def.key });
			updated.push(def.key);
		}
		const known = definitions.map((d) => d.key);
		const orphans = rows.filter((r) => !known.includes(r.key) && !isOrphaned(r));
		for (const r of orphans) {
			await tx`update cron_job set config_error = ${NO_HANDLER}, next_run_at = null where key = ${r.key}`;
			await notify(tx, { t: 'job', key: r.key });
		}
	});
	return { inserted, updated };
}

/** Rows locked in key order by every writer of `cron_job`, so instances never deadlock. */
const LOCK_IN_KEY_ORDER = `select key from cron_job where key = any($1::text[]) order by key for no key update`;

/** Skipped and missed ticks are a job's latest news too (the list shows them). */
export async function recordLatest(sql: Sql, runs: { jobKey: string; status: string; scheduledFor: Date | null }[]): Promise<void> {
	if (!runs.length) return;
	await sql.unsafe(
		`with locked as materialized (${LOCK_IN_KEY_ORDER})
		update cron_job j set last_status = u.status, last_run_at = u.at
		from unnest($1::text[], $2::text[], $3::timestamptz[]) as u(key, status, at), locked k
		where j.key = u.key and k.key = j.key and (j.last_run_at is null or j.last_run_at <= u.at)`,
		[runs.map((r) => r.jobKey), runs.map((r) => r.status), runs.map((r) => (r.scheduledFor ?? new Date()).toISOString())]
	);
}

/** A job's latest news from runs that ended, folded by `JobStates` (job-state.ts). */
export type JobNews = {
	key: string;
	/** The latest ended run: when it started (null if it never did), its status and duration. */
	startedAt: Date | null;
	status: string;
	durationMs: number | null;
	/** Failed runs since the latest success among the folded runs (or since the last write). */
	failures: number;
	/** A run succeeded among them: `consecutive_failures` restarts from `failures`. */
	reset: boolean;
};

/**
 * Writes jobs' denormalised state (latest run, consecutive failures) for many jobs in one
 * statement, and tells live pages which jobs changed (one NOTIFY). The latest run is not
 * replaced by an older one another instance wrote meanwhile; failures always add up.
 */
const NEWER = '(j.last_run_at is null or u.started_at is null or u.started_at >= j.last_run_at)';

export async function writeJobStates(sql: Sql, states: JobNews[]): Promise<void> {
	if (!states.length) return;
	const sorted = [...states].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
	await sql.unsafe(
		`with u as (
			select * from unnest($1::text[], $2::timestamptz[], $3::text[], $4::int[], $5::int[], $6::bool[])
				as u(key, started_at, status, duration_ms, failures, reset)
		), locked as materialized (${LOCK_IN_KEY_ORDER}
		), upd as (
			-- Every SET expression sees the row as it was (its latest version, once locked).
			update cron_job j set
				last_run_at = case when ${NEWER} then u.started_at else j.last_run_at end,
				last_status = case when ${NEWER} then u.status else j.last_status end,
				last_duration_ms = case when ${NEWER} then u.duration_ms else j.last_duration_ms end,
				consecutive_failures = case when u.reset then u.failures else j.consecutive_failures + u.failures end
			from u join locked k on k.key = u.key
			where j.key = u.key
			returning j.key
		), note as (${jobsChangedSql('upd')})
		select count(*) from upd where (select count(*) from note) >= 0`,
		[
			sorted.map((s) => s.key),
			sorted.map((s) => s.startedAt?.toISOString() ?? null),
			sorted.map((s) => s.status),
			sorted.map((s) => s.durationMs),
			sorted.map((s) => s.failures),
			`{${sorted.map((s) => (s.reset ? 't' : 'f')).join(',')}}`
		],
		{ prepare: true }
	);
}

/** Stores jobs' next fire instants for the list page; rows already right are not written. */
export async function storeNextRuns(sql: Sql, next: Map<string, number | null>): Promise<void> {
	if (!next.size) return;
	const keys = [...next.keys()];
	await sql.unsafe(
		`with locked as materialized (${LOCK_IN_KEY_ORDER})
		update cron_job j set next_run_at = u.next
		from unnest($1::text[], $2::timestamptz[]) as u(key, next), locked k
		where j.key = u.key and k.key = j.key and j.next_run_at is distinct from u.next`,
		[keys, keys.map((k) => next.get(k)).map((n) => (n == null ? null : new Date(n).toISOString()))]
	);
}

/** Why a job cannot be scheduled (null: it can), as the scheduler found when arming it. */
export async function setConfigError(sql: Sql, key: string, error: string | null): Promise<void> {
	await sql`update cron_job set config_error = ${error} where key = ${key} and config_error is distinct from ${error}`;
}

/**
 * Disables jobs whose consecutive failures reached their `autoDisableAfter` (the alert
 * evaluator, in its transaction): locked in key order like every writer of `cron_job`, audited
 * with the actor `system`, and every instance told. Returns the keys it disabled (enabled ones).
 */
export async function autoDisableJobs(tx: TransactionSql, jobs: { key: string; failures: number }[]): Promise<string[]> {
	if (!jobs.length) return [];
	const failures = new Map(jobs.map((j) => [j.key, j.failures]));
	const rows = await tx.unsafe<{ key: string }[]>(
		`with locked as materialized (${LOCK_IN_KEY_ORDER})
		update cron_job j set enabled = false, next_run_at = null, ticks_owed_since = now(), updated_at = now(), updated_by = 'system'
		from locked k where j.key = k.key and j.enabled
		returning j.key`,
		[[...failures.keys()]] as never
	);
	for (const { key } of rows) {
		const n = failures.get(key)!;
		await audit(tx, {
			actor: 'system',
			action: 'job.auto_disable',
			entity: 'cron_job',
			entityId: key,
			before: { enabled: true },
			after: { enabled: false, reason: `${n} consecutive failure${n === 1 ? '' : 's'} (autoDisableAfter)` }
		});
		await notify(tx, { t: 'job', key });
	}
	return rows.map((r) => r.key);
}
