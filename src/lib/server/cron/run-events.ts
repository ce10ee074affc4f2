/**
 * Run state changes for the admin UI's live updates. The ledger folds one `pg_notify` into
 * the statements that claim and settle runs (no extra round trip), so every instance's admin
 * pages hear every instance's runs through PostgreSQL.
 */

export const RUNS_CHANNEL = 'cronkit_runs';

/** pg_notify refuses payloads of 8000 bytes or more; a bigger batch sends only its size. */
export const MAX_RUNS_PAYLOAD = 7900;

/**
 * `[id, jobKey, status]` per changed run, or only the count when the batch was too big; or the
 * keys of jobs whose denormalised state (latest run, failures) was written.
 */
export type RunsPayload = { runs: [number, string, string][] } | { n: number } | { jobs: string[] };

/**
 * A CTE body that notifies once for the rows of `source` (columns `id`, `job_id`, `status`),
 * and not at all when it has none. Reference it from the main query with
 * `where (select count(*) from <cte>) >= 0`: an uncorrelated subquery is a one-time filter,
 * evaluated exactly once.
 */
export function notifyRunsSql(source: string): string {
	return `select pg_notify('${RUNS_CHANNEL}',
			case when octet_length(x.p) <= ${MAX_RUNS_PAYLOAD} then x.p else json_build_object('n', x.c)::text end)
		from (
			select json_build_object('runs', json_agg(json_build_array(s.id, s.job_id, s.status) order by s.id))::text as p, count(*) as c
			from ${source} s
		) x
		where x.c > 0`;
}

/** Like notifyRunsSql, for the keys (column `key`) of jobs whose state was written. */
export function jobsChangedSql(source: string): string {
	return `select pg_notify('${RUNS_CHANNEL}',
			case when octet_length(x.p) <= ${MAX_RUNS_PAYLOAD} then x.p else json_build_object('n', x.c)::text end)
		from (
			select json_build_object('jobs', json_agg(s.key order by s.key))::text as p, count(*) as c from ${source} s
		) x
		where x.c > 0`;
}

export function parseRunsPayload(payload: string): RunsPayload | null {
	try {
		const p = JSON.parse(payload) as RunsPayload;
		if (!p || typeof p !== 'object') return null;
		if ('runs' in p) return Array.isArray(p.runs) ? p : null;
		if ('jobs' in p) return Array.isArray(p.jobs) && p.jobs.every((k) => typeof k === 'string') ? p : null;
		if (typeof (p as { n?: unknown }).n === 'number') return p;
		return null;
	} catch {
		return null;
	}
}
