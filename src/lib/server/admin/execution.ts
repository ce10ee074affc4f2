/** The execution page's extras: the run's retry chain, read along indexes only. */
import type { Sql } from 'postgres';
import type { ExecutionStatus } from '../../cron-names';

export type ChainLink = { id: number; attempt: number; status: ExecutionStatus };

/** How far after a run its retry row is looked for among the job's runs (it is written as the run settles). */
const RETRY_LOOKAHEAD = 500;
const MAX_CHAIN = 25;

/**
 * Every attempt of the run's retry chain, first attempt first. Backwards along `retry_of`
 * (primary-key lookups); forwards, a retry is among the job's next runs, so each step reads
 * at most RETRY_LOOKAHEAD rows of (job_id, id desc) instead of searching all history.
 */
export async function retryChain(sql: Sql, run: { id: number; jobKey: string }): Promise<ChainLink[]> {
	const rows = await sql<ChainLink[]>`
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
			where f.depth < ${MAX_CHAIN} and f.status in ('failed', 'timed_out', 'interrupted')
		)
		select id, attempt, status from back
		union
		select id, attempt, status from fwd
		order by id`;
	return rows.map((r) => ({ ...r, id: Number(r.id) }));
}
