import type { Sql } from 'postgres';
import { defineJob } from '../cron/types';
import { countEnded } from './metrics';
import { sessionCleanupParams, SESSION_CLEANUP_KEY } from './settings';

type Batch = { ended: number; picked: number; last: Date | null };
type Range = { from: Date | null; to: Date };
type Progress = { ended: number; batches: number };

/**
 * Built-in `session-cleanup`: ends open device sessions whose last heartbeat is older than
 * `timeoutSeconds` (`end_reason = expired`). When more than one batch is stale, the stale
 * heartbeats are split into `workers` ranges of equal size, each ended by its own connection;
 * within a range each statement takes the next batch from the partial index on open sessions'
 * heartbeats, until a batch comes back short.
 */
export const sessionCleanup = defineJob({
	key: SESSION_CLEANUP_KEY,
	name: 'Clean up device sessions',
	description: 'Ends device sessions without a heartbeat for timeoutSeconds (60), batchSize (50,000) per statement, workers (2) statements at once.',
	schedule: 'every_5_minutes',
	timeoutMs: 10 * 60_000,
	catchUp: 'once',
	params: sessionCleanupParams,
	async handler({ db, signal, log, params }) {
		const sql = db.$client;
		const started = performance.now();
		// One cutoff for the whole run: sessions going stale meanwhile are the next run's.
		const [{ cutoff }] = await sql<[{ cutoff: Date }]>`select now() - make_interval(secs => ${params.timeoutSeconds}) as cutoff`;
		const ranges = await split(sql, cutoff, params.batchSize, params.workers);
		const progress: Progress = { ended: 0, batches: 0 };
		// Every range settles before the run ends, even when one of them fails.
		const settled = await Promise.allSettled(ranges.map((range) => endRange(sql, cutoff, range, params.batchSize, signal, progress)));
		const failed = settled.find((s) => s.status === 'rejected');
		if (failed) throw failed.reason;
		const { ended, batches } = progress;
		const ms = Math.round(performance.now() - started);
		const workers = ranges.length;
		log(
			`ended ${ended} sessions without a heartbeat for ${params.timeoutSeconds} s (${batches} batch${batches === 1 ? '' : 'es'}, ${workers} worker${workers === 1 ? '' : 's'}, ${ms} ms)`
		);
		return { message: `ended ${ended} stale sessions`, metrics: { ended, batches, workers, ms } };
	}
});

/**
 * Up to `workers` ranges of stale heartbeats holding about as many sessions each, bounded by
 * quantiles read from the index; one range when a single batch holds them all.
 */
async function split(sql: Sql, cutoff: Date, batchSize: number, workers: number): Promise<Range[]> {
	const whole: Range[] = [{ from: null, to: cutoff }];
	if (workers === 1) return whole;
	const [{ stale, oldest }] = await sql<[{ stale: number; oldest: Date | null }]>`
		select count(*)::int as stale, min(last_heartbeat_at) as oldest from device_session where ended_at is null and last_heartbeat_at < ${cutoff}`;
	const k = Math.min(workers, Math.ceil(stale / batchSize));
	if (k <= 1 || !oldest) return whole;
	const bounds: Date[] = [];
	for (let i = 1; i < k; i++) {
		const [row] = await sql<{ at: Date }[]>`
			select last_heartbeat_at as at from device_session where ended_at is null and last_heartbeat_at < ${cutoff}
			order by last_heartbeat_at offset ${Math.floor((stale * i) / k)} limit 1`;
		// A bound equal to the one before (many sessions sharing a heartbeat instant) would
		// make an empty range.
		if (row && row.at > (bounds.at(-1) ?? oldest)) bounds.push(row.at);
	}
	return [null, ...bounds].map((from, i) => ({ from, to: bounds[i] ?? cutoff }));
}

/** Ends the stale sessions with a heartbeat in [from, to), oldest first, one batch per statement. */
async function endRange(sql: Sql, cutoff: Date, range: Range, batchSize: number, signal: AbortSignal, progress: Progress): Promise<void> {
	let from = range.from;
	for (;;) {
		signal.throwIfAborted();
		// Each batch starts where the last one stopped (no rescan of the entries it ended); rows
		// addressed by ctid (a TID scan, no primary-key lookups). The staleness test is repeated
		// on the UPDATE: a heartbeat landing in between makes PostgreSQL recheck the row's new
		// version, which no longer qualifies. No FOR UPDATE: locking first would write every
		// row twice.
		const [r]: Batch[] = await sql<Batch[]>`
			with batch as materialized (
				select ctid, last_heartbeat_at from device_session
				where ended_at is null and last_heartbeat_at < ${range.to} ${from ? sql`and last_heartbeat_at >= ${from}` : sql``}
				order by last_heartbeat_at
				limit ${batchSize}
			), done as (
				update device_session d set ended_at = now(), end_reason = 'expired'
				where d.ctid = any(array(select ctid from batch)) and d.ended_at is null and d.last_heartbeat_at < ${cutoff}
				returning 1
			)
			select (select count(*)::int from done) as ended, (select count(*)::int from batch) as picked,
				(select max(last_heartbeat_at) from batch) as last`;
		if (!r) return;
		progress.batches++;
		progress.ended += r.ended;
		countEnded('expired', r.ended);
		// Every picked row is ended or no longer stale, so each batch makes progress.
		if (r.picked < batchSize || !r.last) return;
		from = r.last;
	}
}
