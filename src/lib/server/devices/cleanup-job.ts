import { defineJob } from '../cron/types';
import { countEnded } from './metrics';
import { sessionCleanupParams, SESSION_CLEANUP_KEY } from './settings';

type Batch = { ended: number; picked: number; last: Date | null };


/**
 * Built-in `session-cleanup`: ends open device sessions whose last heartbeat is older than
 * `timeoutSeconds` (`end_reason = expired`). Each statement takes the next batch from the partial
 * index on open sessions' heartbeats; the loop goes on until a batch comes back short.
 */
export const sessionCleanup = defineJob({
	key: SESSION_CLEANUP_KEY,
	name: 'Clean up device sessions',
	description: 'Ends device sessions without a heartbeat for timeoutSeconds (60), batchSize (50,000) per statement.',
	schedule: 'every_5_minutes',
	timeoutMs: 10 * 60_000,
	catchUp: 'once',
	params: sessionCleanupParams,
	async handler({ db, signal, log, params }) {
		const sql = db.$client;
		const started = performance.now();
		// One cutoff for the whole run: sessions going stale meanwhile are the next run's.
		const [{ cutoff }] = await sql<[{ cutoff: Date }]>`select now() - make_interval(secs => ${params.timeoutSeconds}) as cutoff`;
		let from: Date | null = null;
		let ended = 0;
		let batches = 0;
		for (;;) {
			signal.throwIfAborted();
			// The oldest heartbeats first, from the partial index on open sessions, each batch
			// starting where the last one stopped (no rescan of the entries it ended); rows
			// addressed by ctid (a TID scan, no primary-key lookups). The staleness test is
			// repeated on the UPDATE: a heartbeat landing in between makes PostgreSQL recheck the
			// row's new version, which no longer qualifies. No FOR UPDATE: locking first would
			// write every row twice.
			const [r]: Batch[] = await sql<Batch[]>`
				with batch as materialized (
					select ctid, last_heartbeat_at from device_session
					where ended_at is null and last_heartbeat_at < ${cutoff} ${from ? sql`and last_heartbeat_at >= ${from}` : sql``}
					order by last_heartbeat_at
					limit ${params.batchSize}
				), done as (
					update device_session d set ended_at = now(), end_reason = 'expired'
					where d.ctid = any(array(select ctid from batch)) and d.ended_at is null and d.last_heartbeat_at < ${cutoff}
					returning 1
				)
				select (select count(*)::int from done) as ended, (select count(*)::int from batch) as picked,
					(select max(last_heartbeat_at) from batch) as last`;
			if (!r) break;
			batches++;
			ended += r.ended;
			countEnded('expired', r.ended);
			// Every picked row is ended or no longer stale, so each batch makes progress.
			if (r.picked < params.batchSize || !r.last) break;
			from = r.last;
		}
		const ms = Math.round(performance.now() - started);
		log(`ended ${ended} sessions without a heartbeat for ${params.timeoutSeconds} s (${batches} batch${batches === 1 ? '' : 'es'}, ${ms} ms)`);
		return { message: `ended ${ended} stale sessions`, metrics: { ended, batches, ms } };
	}
});
