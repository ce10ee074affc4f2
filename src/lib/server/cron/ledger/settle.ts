/**
 * Ending runs: outcomes settled (fenced by owner and lease, retries queued, the next queued runs
 * claimed in the same statement), live output, lease renewal and reaping, cancellation.
 */
import type { Sql } from 'postgres';
import type { Queryable } from '../../db';
import { jsonValue } from '../../db/json';
import { type ExecutionStatus, type Trigger } from '../../db/schema';
import type { OutputSnapshot } from '../output';
import { notifyRunsSql } from '../run-events';
import { boolArray, FAILED_SQL, jobUpdatedAt, PREPARED } from './columns';
import { claimCtes, type QueueClaim } from './queue';

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

/**
 * One outcome field as an array for unnest(), or null when every value is null: a multi-argument
 * unnest() pads a null array with nulls, and most batches (in-process handlers: no output, no
 * process, no error) would otherwise serialise, send and parse ten arrays of nulls.
 */
function column<T>(outcomes: Outcome[], field: (o: Outcome) => T | null): (T | null)[] | null {
	return outcomes.some((o) => field(o) !== null) ? outcomes.map(field) : null;
}

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
			${jobUpdatedAt('c')}, null
		from q_upd c
		union all
		select 'next', null, null, null, null, null, null, null, null, null, null, null, null, (select at from q_next)`
				: ''
		}`,
		[
			outcomes.map((o) => o.id),
			outcomes.map((o) => o.status),
			outcomes.map((o) => o.durationMs),
			column(outcomes, (o) => o.output?.text ?? null),
			column(outcomes, (o) => jsonValue(o.result === undefined ? null : o.result)),
			column(outcomes, (o) => o.errorMessage),
			column(outcomes, (o) => o.errorStack),
			boolArray(outcomes.map((o) => o.release)),
			column(outcomes, (o) => o.owner),
			column(outcomes, (o) => o.output?.bytes ?? null),
			column(outcomes, (o) => o.output?.tailAt ?? null),
			column(outcomes, (o) => o.process?.exitCode ?? null),
			column(outcomes, (o) => o.process?.signal ?? null),
			column(outcomes, (o) => o.process?.cpuMs ?? null),
			column(outcomes, (o) => o.process?.maxRssKb ?? null),
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
	// Almost always there is nothing to reap: one statement on the partial index of running
	// runs says so, without a transaction (begin, select, commit) every period.
	const [any] = await sql`
		select 1 from cron_job_execution where (status = 'running' or exclusive) and lease_expires_at < now() limit 1`;
	if (!any) return [];
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

/** A running run ended by cancellation (overlap `replace`, Cancel). */
export function cancelled(id: number, why: string): Outcome {
	return { id, status: 'cancelled', durationMs: null, output: null, result: null, errorMessage: why, errorStack: null, release: false, owner: null };
}
