/**
 * The run ledger: every state change of a run is one SQL statement here, and the database's
 * constraints decide every race between instances (docs/architecture.md, "Invariants").
 */
import type { PendingQuery, Row, Sql } from 'postgres';
import type { Queryable } from '../db';
import { jsonValue } from '../db/json';
import { FAILED_STATUSES, type ExecutionStatus, type OverlapPolicy, type Trigger } from '../db/schema';
import type { OutputSnapshot } from './output';
import { notifyRunsSql } from './run-events';

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
const FAILED_SQL = FAILED_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * The statements of the run path are named prepared statements: `sql.unsafe` otherwise sends
 * each call unnamed, parsed and planned again (about as much server time as running it).
 */
const PREPARED = { prepare: true } as const;

// Rows are found by id through the primary key: each statement that joins the runs to a list
// of ids also says `e.id = any(<ids>)`. Joined to an unnest() or a CTE alone, the planner
// guesses their size and, on a table of some thousands of rows, hashes them against a
// sequential scan of the whole ledger (measured: most of a settle's time at 5,000 rows).

const boolArray = (xs: boolean[]) => `{${xs.map((x) => (x ? 't' : 'f')).join(',')}}`;

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

const RUN_COLUMNS = 'id, job_id as "jobKey", trigger, scheduled_for as "scheduledFor", attempt, status, started_at as "startedAt"';
const RAW_RUN_COLUMNS = 'id, job_id, trigger, scheduled_for, attempt, status, started_at';
/** For claims from the queue: the claimed run's job row version (`ClaimedRun.jobUpdatedAt`), `alias` the claimed rows. */
const jobUpdatedAt = (alias: string) => `(select j.updated_at from cron_job j where j.key = ${alias}.job_id) as "jobUpdatedAt"`;
const DB_NOW_MS = '(extract(epoch from now()) * 1000)::float8';

export type TickClaim = {
	/**
	 * Rows this instance holds for these ticks: inserted now (`running`, or `skipped` under the
	 * global pause), or inserted by an earlier claim of ours whose answer was lost (a connection
	 * that failed after the commit) and never started.
	 */
	claimed: ClaimedRun[];
	/** Not due yet by the database's clock (this instance's clock runs ahead): claim later. */
	early: Tick[];
	/** Later than the late tolerance by the database's clock: for the catch-up policy. */
	late: Tick[];
	/** Late ticks an earlier claim of ours inserted but never started: to be released. */
	orphaned: ClaimedRun[];
	/** The database's clock when the statement ran (ms), when it returned a row. */
	dbNow: number | null;
};

/**
 * Claims ticks in one statement. The database's clock decides what is due: a tick more than
 * `leadMs` ahead of `now()` is returned as early, one more than `lateMs` behind as late, and
 * only the rest are inserted. Each `(job, scheduled_for)` row is inserted by exactly one
 * instance (the unique index decides) and is `running` under this instance's lease; its
 * `started_at` stays empty until the handler really starts (`markStarted`). A `forbid` job
 * whose slot is taken yields no row here; see `recordOverlapSkips`. Under the global pause the
 * ticks are recorded `skipped` instead. A tick this instance already holds but never started
 * (its earlier claim committed, the answer was lost) is returned again: claimed when due,
 * orphaned when late.
 */
export async function claimTicks(
	sql: Queryable,
	unsorted: Tick[],
	o: { instanceId: string; leaseMs: number; paused: boolean; leadMs: number; lateMs: number }
): Promise<TickClaim> {
	const out: TickClaim = { claimed: [], early: [], late: [], orphaned: [], dbNow: null };
	if (!unsorted.length) return out;
	const ticks = inKeyOrder(unsorted);
	type Row = ClaimedRun & { cls: 'claimed' | 'early' | 'late' | 'mine_due' | 'mine_late'; dbNow: number };
	const rows = await sql.unsafe<Row[]>(
		`with u as (
			select u.job_id, u.scheduled_for, u.overlap,
				case when u.scheduled_for > now() + make_interval(secs => $7::double precision / 1000) then 'early'
					when u.scheduled_for < now() - make_interval(secs => $8::double precision / 1000) then 'late'
					else 'due' end as cls
			from unnest($1::text[], $5::timestamptz[], $6::text[]) as u(job_id, scheduled_for, overlap)
		), ins as (insert into cron_job_execution
			(job_id, trigger, scheduled_for, run_at, status, exclusive, instance_id, lease_expires_at, error_message, finished_at)
		select u.job_id, 'schedule', u.scheduled_for, u.scheduled_for,
			case when $4 then 'skipped' else 'running' end,
			u.overlap = 'forbid' and not $4,
			$2,
			case when $4 then null else greatest(now(), u.scheduled_for) + make_interval(secs => $3::double precision / 1000) end,
			case when $4 then 'scheduler paused' end,
			case when $4 then now() end
		from u where u.cls = 'due'
		order by u.job_id, u.scheduled_for
		on conflict do nothing
		returning ${RAW_RUN_COLUMNS}
		), note as (${notifyRunsSql('ins')})
		select 'claimed' as cls, ${RUN_COLUMNS}, ${DB_NOW_MS} as "dbNow" from ins where (select count(*) from note) >= 0
		union all
		-- Rows inserted by an earlier statement (this one's are not visible here).
		select 'mine_' || u.cls, e.id, e.job_id, e.trigger, e.scheduled_for, e.attempt, e.status, e.started_at, ${DB_NOW_MS}
		from u join cron_job_execution e on e.job_id = u.job_id and e.scheduled_for = u.scheduled_for
		where u.cls <> 'early' and e.instance_id = $2 and e.status = 'running' and e.started_at is null
		union all
		select u.cls, null, u.job_id, 'schedule', u.scheduled_for, 1, null, null, ${DB_NOW_MS} from u where u.cls <> 'due'`,
		[
			ticks.map((t) => t.jobKey),
			o.instanceId,
			o.leaseMs,
			o.paused,
			ticks.map((t) => t.scheduledFor.toISOString()),
			ticks.map((t) => t.overlap),
			o.leadMs,
			o.lateMs
		],
		PREPARED
	);
	out.dbNow = rows[0]?.dbNow ?? null;
	const overlapOf = new Map(ticks.map((t) => [t.jobKey, t.overlap]));
	const orphanedAt = new Set(rows.filter((r) => r.cls === 'mine_late').map((r) => `${r.jobKey}\u0000${r.scheduledFor!.getTime()}`));
	for (const { cls, dbNow: _, ...r } of rows) {
		if (cls === 'claimed' || cls === 'mine_due') out.claimed.push(r);
		else if (cls === 'mine_late') out.orphaned.push(r);
		else if (!orphanedAt.has(`${r.jobKey}\u0000${r.scheduledFor!.getTime()}`)) {
			out[cls].push({ jobKey: r.jobKey, scheduledFor: r.scheduledFor!, overlap: overlapOf.get(r.jobKey)! });
		}
	}
	return out;
}

/** Records when claimed ticks' handlers really started (database time), one statement a burst. */
export async function markStarted(sql: Queryable, started: { id: number; at: Date }[]): Promise<void> {
	if (!started.length) return;
	await sql.unsafe(
		`update cron_job_execution e set started_at = u.at
		from unnest($1::bigint[], $2::timestamptz[]) as u(id, at)
		where e.id = u.id and e.id = any($1::bigint[]) and e.started_at is null`,
		[started.map((s) => s.id), started.map((s) => s.at.toISOString())],
		PREPARED
	);
}

export type UnrunTick = { jobKey: string; scheduledFor: Date; status: Extract<ExecutionStatus, 'skipped' | 'missed'>; note: string };

/**
 * Records ticks that will not run (`skipped`, `missed`) so every tick is accounted for. A tick
 * another instance already recorded conflicts on (job, scheduled_for) and stays as it is.
 */
export async function recordUnrun(sql: Queryable, unsorted: UnrunTick[]): Promise<ClaimedRun[]> {
	if (!unsorted.length) return [];
	const ticks = inKeyOrder(unsorted);
	return sql.unsafe<ClaimedRun[]>(
		`insert into cron_job_execution (job_id, trigger, scheduled_for, run_at, status, finished_at, error_message)
		select u.job_id, 'schedule', u.scheduled_for, u.scheduled_for, u.status, now(), u.note
		from unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[]) as u(job_id, scheduled_for, status, note)
		order by u.job_id, u.scheduled_for
		on conflict do nothing
		returning ${RUN_COLUMNS}`,
		[ticks.map((t) => t.jobKey), ticks.map((t) => t.scheduledFor.toISOString()), ticks.map((t) => t.status), ticks.map((t) => t.note)]
	);
}

/**
 * Records `skipped` for `forbid` ticks that no instance could claim because the job's slot was
 * held. Ticks that another instance did claim conflict on (job, scheduled_for) and stay as
 * they are, so this is safe to call with every unclaimed tick.
 */
export function recordOverlapSkips(sql: Queryable, ticks: Tick[]): Promise<ClaimedRun[]> {
	return recordUnrun(
		sql,
		ticks
			.filter((t) => t.overlap === 'forbid')
			.map((t) => ({ jobKey: t.jobKey, scheduledFor: t.scheduledFor, status: 'skipped', note: 'previous run still running (overlap: forbid)' }))
	);
}

/** `replace`: cancels the job's other running runs, older than the one just claimed. */
export async function cancelReplaced(sql: Queryable, newRuns: { id: number; jobKey: string }[]): Promise<number[]> {
	if (!newRuns.length) return [];
	const older = await sql.unsafe<{ id: number; newId: number }[]>(
		`select e.id, u.new_id as "newId" from cron_job_execution e
		join unnest($1::text[], $2::bigint[]) as u(job_id, new_id) on e.job_id = u.job_id
		where e.status = 'running' and e.id < u.new_id`,
		[newRuns.map((r) => r.jobKey), newRuns.map((r) => r.id)]
	);
	const { settled } = await settle(
		sql,
		older.map((r) => cancelled(r.id, `replaced by run ${r.newId} (overlap: replace)`))
	);
	return settled.filter((r) => r.transitioned).map((r) => r.id);
}

function cancelled(id: number, why: string): Outcome {
	return { id, status: 'cancelled', durationMs: null, output: null, result: null, errorMessage: why, errorStack: null, release: false, owner: null };
}

export type EnqueueInput = {
	jobKey: string;
	trigger: Trigger;
	runAt?: Date;
	scheduledFor?: Date | null;
	triggeredBy?: string | null;
	triggeredByUserId?: string | null;
	/** A manual retry of a failed run (attempt 1, a fresh retry budget): the run it retries. */
	retryOf?: number | null;
};

/** Adds `queued` runs (manual, API, catch-up, manual retries) for the workers. */
export async function enqueue(sql: Queryable, runs: EnqueueInput[]): Promise<ClaimedRun[]> {
	if (!runs.length) return [];
	return sql.unsafe<ClaimedRun[]>(
		`insert into cron_job_execution (job_id, trigger, scheduled_for, run_at, status, triggered_by, triggered_by_user_id, retry_of)
		select u.job_id, u.trigger, u.scheduled_for, coalesce(u.run_at, now()), 'queued', u.triggered_by, u.user_id, u.retry_of
		from unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[], $7::bigint[])
			as u(job_id, trigger, scheduled_for, run_at, triggered_by, user_id, retry_of)
		order by u.job_id, u.scheduled_for
		on conflict do nothing
		returning ${RUN_COLUMNS}`,
		[
			runs.map((r) => r.jobKey),
			runs.map((r) => r.trigger),
			runs.map((r) => r.scheduledFor?.toISOString() ?? null),
			runs.map((r) => r.runAt?.toISOString() ?? null),
			runs.map((r) => r.triggeredBy ?? null),
			runs.map((r) => r.triggeredByUserId ?? null),
			runs.map((r) => r.retryOf ?? null)
		]
	);
}

export type QueueClaim = {
	runs: ClaimedRun[];
	/** When the earliest queued run this claim left behind falls due (null: none is queued). */
	nextAt: Date | null;
};

/**
 * The CTEs that claim up to `limit` due queued runs for `instance` under a lease of `lease` ms
 * (SQL expressions, usually parameters): `q_upd` holds the claimed rows, `q_next` when the next
 * queued run left behind falls due (null when the claim filled its limit). The statement's snapshot still shows the claimed rows
 * queued: `q_next` leaves them out. Used alone (`claimQueued`) and folded into `settle`.
 */
function claimCtes(p: { limit: string; instance: string; lease: string }): string {
	return `q_cand as (
			select e.id, e.job_id, e.run_at, j.overlap
			from cron_job_execution e join cron_job j on j.key = e.job_id
			where e.status = 'queued' and e.run_at <= now()
				and not (j.overlap = 'forbid' and exists (
					select 1 from cron_job_execution x where x.job_id = e.job_id and x.exclusive))
			order by e.run_at, e.id
			-- Planned for each call (a custom plan): a generic plan, blind to the limit, scans
			-- and sorts every queued run, which costs far more than planning.
			limit ${p.limit}
			for update of e skip locked
		), q_chosen as (
			select id, overlap from (
				select c.*, row_number() over (partition by c.job_id order by c.run_at, c.id) as rn from q_cand c
			) r
			where r.overlap <> 'forbid' or r.rn = 1
		), q_upd as (
			update cron_job_execution e
			set status = 'running', instance_id = ${p.instance}, started_at = now(),
				lease_expires_at = now() + make_interval(secs => ${p.lease}::double precision / 1000),
				exclusive = (c.overlap = 'forbid')
			from q_chosen c
			where e.id = c.id and e.id = any(array(select id from q_chosen))
			returning e.${RAW_RUN_COLUMNS.replaceAll(', ', ', e.')}
		), q_next as (
			-- Only when the claim did not fill its limit (otherwise the caller claims again at once).
			select case when (select count(*) from q_chosen) < ${p.limit} then (
				select min(q.run_at) from cron_job_execution q
				where q.status = 'queued' and q.id not in (select id from q_chosen)) end as at
		)`;
}

/** Two instances took different queued runs of one free `forbid` job at the same moment: the
 * slot's unique index refused the second. Nothing was claimed; the caller tries again shortly. */
export const isSlotRace = (err: unknown): boolean => (err as { code?: string }).code === '23505';

/**
 * Claims up to `limit` due queued runs (FOR UPDATE SKIP LOCKED: instances never wait on each
 * other) and starts them: \`running\` under this instance's lease, `started_at` now, one NOTIFY
 * for the batch. A `forbid` job gets at most one run, and none while its slot is held: those
 * stay queued until the slot frees. The same statement says when the next queued run it left
 * behind falls due (for the queue's timer), so a claim costs one round trip.
 */
export async function claimQueued(sql: Queryable, limit: number, instanceId: string, leaseMs: number): Promise<QueueClaim> {
	type Row = ClaimedRun & { nextAt: Date | null };
	let rows: Row[];
	try {
		rows = await sql.unsafe<Row[]>(
			`with ${claimCtes({ limit: '$1', instance: '$2', lease: '$3' })}, note as (${notifyRunsSql('q_upd')})
			select ${RUN_COLUMNS}, ${jobUpdatedAt('q_upd')}, null::timestamptz as "nextAt" from q_upd where (select count(*) from note) >= 0
			union all
			select null, null, null, null, null, null, null, null, (select at from q_next)`,
			[limit, instanceId, leaseMs],
			PREPARED
		);
	} catch (err) {
		if (isSlotRace(err)) return { runs: [], nextAt: new Date(0) };
		throw err;
	}
	const runs: ClaimedRun[] = [];
	let nextAt: Date | null = null;
	for (const { nextAt: at, ...run } of rows) {
		if (run.id === null) nextAt = at;
		else runs.push(run);
	}
	return { runs, nextAt };
}

/**
 * Claims one queued run by id for this instance (the CLI's `run`): running under our lease,
 * out of other workers' reach. A `forbid` job whose slot is held refuses (unique violation).
 */
export async function claimRun(sql: Queryable, id: number, instanceId: string, leaseMs: number): Promise<ClaimedRun | undefined> {
	const [run] = await sql.unsafe<ClaimedRun[]>(
		`with upd as (
			update cron_job_execution e set status = 'running', instance_id = $2, started_at = now(), run_at = now(),
				lease_expires_at = now() + make_interval(secs => $3::double precision / 1000),
				exclusive = (select overlap = 'forbid' from cron_job where key = e.job_id)
			where id = $1 and status = 'queued'
			returning ${RAW_RUN_COLUMNS}
		), note as (${notifyRunsSql('upd')})
		select ${RUN_COLUMNS}, ${jobUpdatedAt('upd')} from upd where (select count(*) from note) >= 0`,
		[id, instanceId, leaseMs]
	);
	return run;
}

/**
 * For catch-up: per job, the instant from which ticks are owed: its latest recorded tick, or
 * when it was created, enabled or rescheduled if that is later.
 */
export async function owedSince(sql: Queryable, keys: string[]): Promise<Map<string, number>> {
	if (!keys.length) return new Map();
	const rows = await sql.unsafe<{ key: string; from: number }[]>(
		`select j.key, (extract(epoch from greatest(j.ticks_owed_since,
				(select max(e.scheduled_for) from cron_job_execution e where e.job_id = j.key))) * 1000)::float8 as "from"
		from cron_job j where j.key = any($1::text[])`,
		[keys]
	);
	return new Map(rows.map((r) => [r.key, r.from]));
}

/** When the next queued run falls due (for the worker's wake-up timer). */
export async function nextQueuedAt(sql: Queryable): Promise<Date | null> {
	const [row] = await sql<{ at: Date | null }[]>`
		select min(run_at) as at from cron_job_execution where status = 'queued'`;
	return row?.at ?? null;
}

/** What a run's own process did (command jobs, isolated code jobs). */
export type ProcessStats = { exitCode: number | null; signal: string | null; cpuMs: number; maxRssKb: number };

export type Outcome = {
	id: number;
	status: Extract<ExecutionStatus, 'succeeded' | 'failed' | 'timed_out' | 'interrupted' | 'cancelled'>;
	durationMs: number | null;
	/** The output as it stands now (the last word: it replaces what live writes stored). */
	output: OutputSnapshot | null;
	result: unknown;
	errorMessage: string | null;
	errorStack: string | null;
	/** The handler has really stopped: free the job's slot and drop the lease. */
	release: boolean;
	/**
	 * The fence: the instance that ran the handler. Its outcome counts only while it still holds
	 * the run's lease (a paused process that resumes late changes nothing). Null for outcomes
	 * decided elsewhere (cancel, the lease reaper).
	 */
	owner: string | null;
	process?: ProcessStats | null;
};

export type Settled = {
	id: number;
	jobKey: string;
	status: ExecutionStatus;
	attempt: number;
	durationMs: number | null;
	/** When the handler started (database time); null for a run that never started. */
	startedAt: Date | null;
	transitioned: boolean;
	/** Refused: its owner no longer held the lease. */
	fenced: boolean;
};

/** Queued runs a settle statement claims as well (the slots its runs free, refilled at once). */
export type SettleClaim = { limit: number; instanceId: string; leaseMs: number };

/** settle's CTEs that write the jobs' denormalised state from the runs that ended (`done`). */
const JOB_STATE_SQL = `, latest as (
			select distinct on (job_id) job_id, status, started_at, duration_ms,
				count(*) filter (where status in (${FAILED_SQL})) over (partition by job_id) as failures
			from done
			order by job_id, finished_at desc, id desc
		), locked as materialized (
			-- Job rows are locked in key order by every writer, so instances never deadlock.
			select j.key from cron_job j where j.key in (select job_id from latest) order by j.key for no key update
		), jobs as (
			update cron_job j set
				last_run_at = l.started_at,
				last_status = l.status,
				last_duration_ms = l.duration_ms,
				consecutive_failures = case
					when l.status = 'succeeded' then 0
					else j.consecutive_failures + l.failures end
			from latest l join locked k on k.key = l.job_id
			where j.key = l.job_id
			returning 1
		)`;

/**
 * Ends runs in one transaction-sized statement: the terminal status
 * (only if the run is still `running`: a cancel or a reaper that got there first wins), a
 * durable retry row when attempts are left (exponential backoff 1 s, 2 s, 4 s … capped at
 * 30 s, ±20% jitter), the job's denormalised state, the slot release, and one NOTIFY.
 *
 * With `claim`, the same statement claims up to `claim.limit` due queued runs (as
 * `claimQueued`): the slots that the settled runs free are refilled in the round trip that
 * frees them, and one NOTIFY covers both. A failed statement claims nothing.
 *
 * With `jobState: 'caller'` the job rows are left alone: the caller folds the settled runs
 * into `JobStates` (job-state.ts), which writes the jobs' state within a second, one
 * statement for many batches (the scheduler's outcome writer does; hot job rows are then
 * written a few times a second instead of once per batch).
 */
export async function settle(
	sql: Queryable,
	outcomes: Outcome[],
	o: { jobState?: 'here' | 'caller'; claim?: SettleClaim } = {}
): Promise<{ settled: Settled[]; retries: number; claim: QueueClaim | null }> {
	const claim = o.claim && o.claim.limit > 0 ? o.claim : null;
	if (!outcomes.length) return { settled: [], retries: 0, claim: null };
	const jobState = (o.jobState ?? 'here') === 'here' ? JOB_STATE_SQL : '';
	type Row = Omit<Settled, 'status' | 'attempt'> & {
		kind: 'settled' | 'claimed' | 'next';
		status: ExecutionStatus;
		attempt: number;
		retryId: number | null;
		trigger: Trigger;
		scheduledFor: Date | null;
		jobUpdatedAt: Date | null;
		nextAt: Date | null;
	};
	const changed = `select id, job_id, status from done union all select id, job_id, status from retry${claim ? ' union all select id, job_id, status from q_upd' : ''}`;
	const rows = await sql.unsafe<Row[]>(
		`with input as (
			select * from unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::bool[], $9::text[],
					$10::int8[], $11::int8[], $12::int[], $13::text[], $14::int[], $15::int[])
				as u(id, status, duration_ms, output, result, error_message, error_stack, release, owner,
					output_bytes, output_tail_at, exit_code, signal, cpu_ms, max_rss_kb)
		), cur as (
			select e.id, e.status as prev,
				i.owner is not null and (e.instance_id is distinct from i.owner or e.lease_expires_at is null or e.lease_expires_at < now()) as fenced
			from cron_job_execution e join input i on i.id = e.id
			where e.id = any($1::bigint[])
			order by e.id
			for update of e
		), upd as (
			update cron_job_execution e set
				status = case when c.prev = 'running' and not c.fenced then i.status else e.status end,
				finished_at = case when c.prev = 'running' and not c.fenced then now() else e.finished_at end,
				duration_ms = case when c.prev = 'running' and not c.fenced
					then coalesce(i.duration_ms, (extract(epoch from now() - e.started_at) * 1000)::int)
					else e.duration_ms end,
				output = case when c.fenced or i.output is null then e.output else i.output end,
				output_bytes = case when c.fenced or i.output is null then e.output_bytes else i.output_bytes end,
				output_tail_at = case when c.fenced or i.output is null then e.output_tail_at else i.output_tail_at end,
				exit_code = case when c.fenced or i.cpu_ms is null then e.exit_code else i.exit_code end,
				signal = case when c.fenced or i.cpu_ms is null then e.signal else i.signal end,
				cpu_ms = case when c.fenced or i.cpu_ms is null then e.cpu_ms else i.cpu_ms end,
				max_rss_kb = case when c.fenced or i.cpu_ms is null then e.max_rss_kb else i.max_rss_kb end,
				result = case when c.prev = 'running' and not c.fenced then i.result else e.result end,
				error_message = case when c.prev = 'running' and not c.fenced then i.error_message else e.error_message end,
				error_stack = case when c.prev = 'running' and not c.fenced then i.error_stack else e.error_stack end,
				exclusive = case when i.release and not c.fenced then false else e.exclusive end,
				lease_expires_at = case when i.release and not c.fenced then null else e.lease_expires_at end
			from input i join cur c on c.id = i.id
			where e.id = i.id and e.id = any($1::bigint[])
			returning e.id, e.job_id, e.status, e.attempt, e.started_at, e.finished_at, e.duration_ms,
				(c.prev = 'running' and not c.fenced) as transitioned, c.fenced
		), done as (
			select * from upd where transitioned
		), retry as (
			insert into cron_job_execution (job_id, trigger, run_at, attempt, retry_of, status)
			select d.job_id, 'retry',
				now() + make_interval(secs => least(30, power(2, d.attempt - 1)) * (0.8 + random() * 0.4)),
				d.attempt + 1, d.id, 'queued'
			from done d join cron_job j on j.key = d.job_id
			where d.status in (${FAILED_SQL}) and d.attempt <= j.max_retries
			returning id, retry_of, job_id, status
		)${claim ? `, ${claimCtes({ limit: '$16', instance: '$17', lease: '$18' })}` : ''}, note as (
			${notifyRunsSql(`(${changed})`)}
		)${jobState}
		select 'settled' as kind, u.id, u.job_id as "jobKey", u.status, u.attempt, u.duration_ms as "durationMs", u.started_at as "startedAt",
			u.transitioned, u.fenced, r.id as "retryId", null::text as trigger, null::timestamptz as "scheduledFor", null::timestamptz as "jobUpdatedAt",
			null::timestamptz as "nextAt"
			${jobState ? ', (select count(*) from jobs) as _jobs' : ''}
		from upd u left join retry r on r.retry_of = u.id
		where (select count(*) from note) >= 0
		${
			claim
				? `union all
		select 'claimed', c.id, c.job_id, c.status, c.attempt, null, c.started_at, null, null, null, c.trigger, c.scheduled_for,
			(select j.updated_at from cron_job j where j.key = c.job_id), null
		from q_upd c
		union all
		select 'next', null, null, null, null, null, null, null, null, null, null, null, null, (select at from q_next)`
				: ''
		}`,
		[
			outcomes.map((o) => o.id),
			outcomes.map((o) => o.status),
			outcomes.map((o) => o.durationMs),
			outcomes.map((o) => o.output?.text ?? null),
			outcomes.map((o) => jsonValue(o.result === undefined ? null : o.result)),
			outcomes.map((o) => o.errorMessage),
			outcomes.map((o) => o.errorStack),
			boolArray(outcomes.map((o) => o.release)),
			outcomes.map((o) => o.owner),
			outcomes.map((o) => o.output?.bytes ?? null),
			outcomes.map((o) => o.output?.tailAt ?? null),
			outcomes.map((o) => o.process?.exitCode ?? null),
			outcomes.map((o) => o.process?.signal ?? null),
			outcomes.map((o) => o.process?.cpuMs ?? null),
			outcomes.map((o) => o.process?.maxRssKb ?? null),
			...(claim ? [claim.limit, claim.instanceId, claim.leaseMs] : [])
		],
		PREPARED
	);
	const settled: Settled[] = [];
	let retries = 0;
	const claimed: QueueClaim | null = claim ? { runs: [], nextAt: null } : null;
	for (const r of rows) {
		if (r.kind === 'next') claimed!.nextAt = r.nextAt;
		else if (r.kind === 'claimed') {
			const { id, jobKey, trigger, scheduledFor, attempt, status, startedAt, jobUpdatedAt } = r;
			claimed!.runs.push({ id, jobKey, trigger, scheduledFor, attempt, status, startedAt, jobUpdatedAt });
		} else {
			const { id, jobKey, status, attempt, durationMs, startedAt, transitioned, fenced } = r;
			settled.push({ id, jobKey, status, attempt, durationMs, startedAt, transitioned, fenced });
			if (r.retryId !== null) retries++;
		}
	}
	return { settled, retries, claim: claimed };
}

/**
 * Live output: stores the output so far of running runs, one statement for every run that
 * printed since the last write. A run that has ended keeps what its outcome stored.
 */
export async function writeOutputs(sql: Queryable, runs: { id: number; output: OutputSnapshot }[]): Promise<void> {
	if (!runs.length) return;
	await sql.unsafe(
		`update cron_job_execution e set output = u.output, output_bytes = u.bytes, output_tail_at = u.tail_at
		from unnest($1::bigint[], $2::text[], $3::int8[], $4::int8[]) as u(id, output, bytes, tail_at)
		where e.id = u.id and e.id = any($1::bigint[]) and e.status = 'running'`,
		[runs.map((r) => r.id), runs.map((r) => r.output.text), runs.map((r) => r.output.bytes), runs.map((r) => r.output.tailAt)] as never
	);
}

/**
 * Renews this instance's leases in one statement. Returns the runs that are still ours and
 * what the database says of them (a run cancelled elsewhere shows up as `cancelled`). A lease
 * that has expired is not renewed, even before a reaper has seen it: it is lost for good.
 */
export async function renewLeases(sql: Queryable, ids: number[], instanceId: string, leaseMs: number): Promise<Map<number, ExecutionStatus>> {
	if (!ids.length) return new Map();
	const rows = await sql.unsafe<{ id: number; status: ExecutionStatus }[]>(
		`update cron_job_execution
		set lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
		where id = any($1::bigint[]) and instance_id = $2 and (status = 'running' or exclusive) and lease_expires_at >= now()
		returning id, status`,
		[ids, instanceId, leaseMs],
		PREPARED
	);
	return new Map(rows.map((r) => [r.id, r.status]));
}

/**
 * Turns runs whose owner stopped renewing into `interrupted` (retry policy applies) and frees
 * slots held by timed-out handlers of dead instances. Any instance may run it; SKIP LOCKED
 * keeps two reapers off the same rows.
 */
export async function reapExpiredLeases(sql: Sql, limit = 500): Promise<Settled[]> {
	return sql.begin(async (tx) => {
		const expired = await tx<{ id: number; instanceId: string | null }[]>`
			select id, instance_id as "instanceId" from cron_job_execution
			where (status = 'running' or exclusive) and lease_expires_at < now()
			order by id
			limit ${limit}
			for update skip locked`;
		if (!expired.length) return [];
		const { settled } = await settle(
			tx,
			expired.map((r) => ({
				id: r.id,
				status: 'interrupted',
				durationMs: null,
				output: null,
				result: null,
				errorMessage: `lease expired: instance ${r.instanceId ?? '?'} stopped heartbeating`,
				errorStack: null,
				release: true,
				owner: null
			}))
		);
		return settled;
	});
}

/**
 * Cancels a queued or running run. A running handler learns it from NOTIFY or its next lease
 * renewal, and keeps its job's slot until it has really stopped.
 */
export async function cancelExecution(sql: Queryable, id: number, by: string): Promise<boolean> {
	const why = `cancelled by ${by}`;
	const queued = await sql`
		update cron_job_execution set status = 'cancelled', finished_at = now(), error_message = ${why}
		where id = ${id} and status = 'queued'
		returning id`;
	if (queued.length) return true;
	const { settled } = await settle(sql, [cancelled(id, why)]);
	return settled.some((r) => r.transitioned);
}
