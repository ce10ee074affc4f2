/**
 * Scheduled ticks: claiming them (exactly once across instances), recording the ones that did not
 * run (missed, skipped), and when a job's owed ticks start.
 */
import type { Queryable } from '../../db';
import { type ExecutionStatus } from '../../db/schema';
import { notifyRunsSql } from '../run-events';
import { inKeyOrder, PREPARED, type ClaimedRun, type Tick, RUN_COLUMNS, RAW_RUN_COLUMNS, DB_NOW_MS } from './columns';

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
