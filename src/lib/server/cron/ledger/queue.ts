/**
 * Queued runs: enqueueing (manual, API, retries, catch-up), claiming them under a lease, and
 * overlap `replace` cancelling a job's older runs.
 */
import type { Queryable } from '../../db';
import { type Trigger } from '../../db/schema';
import { notifyRunsSql } from '../run-events';
import { PREPARED, type ClaimedRun, RUN_COLUMNS, RAW_RUN_COLUMNS, jobUpdatedAt } from './columns';
import { cancelled, settle } from './settle';

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
export function claimCtes(p: { limit: string; instance: string; lease: string }): string {
	return `q_cand as (
			-- Due queued runs in claim order, locked (skip locked), none of a forbid job whose
			-- slot is held: a function with a plan of its own (drizzle/0016_claim_candidates.sql),
			-- so that this statement's plan does not depend on the limit and is made once.
			select cand_id as id, cand_job_id as job_id, cand_run_at as run_at, cand_overlap as overlap
			from cronkit_claim_candidates(${p.limit})
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

export async function nextQueuedAt(sql: Queryable): Promise<Date | null> {
	const [row] = await sql<{ at: Date | null }[]>`
		select min(run_at) as at from cron_job_execution where status = 'queued'`;
	return row?.at ?? null;
}
