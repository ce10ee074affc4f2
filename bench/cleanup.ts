/**
 * Cleanup: `session-cleanup`'s handler ends N = 1,000,000 stale device sessions (each on its own
 * key, as the one-open-session index requires), seeded with generate_series, while 100 clients
 * keep heartbeating 100 live sessions through the API's heartbeat service (its own pool, each
 * client every 100 ms, 1,000 heartbeats/s). Anchor, same run: the same heartbeat load for 5 s with no cleanup.
 * Targets: all N ended in ≤ 10 s; heartbeat p99 during the cleanup ≤ 50 ms.
 *
 *   npm run bench:cleanup [-- --sessions 1000000 --clients 100 --every 100 --strict]
 */
import type { Sql } from 'postgres';
import type { JobContext } from '../src/lib/server/cron/types';
import { sessionCleanup } from '../src/lib/server/devices/cleanup-job';
import { sessionCleanupParams } from '../src/lib/server/devices/settings';
import { heartbeatSession } from '../src/lib/server/devices/sessions';
import { unbounded, wrap } from '../src/lib/server/db';
import { log } from '../src/lib/server/log';
import { arg, check, fmt, heading, note, runBench, sleep, summarize, table, type Summary } from './lib';

const N = arg('sessions', 1_000_000);
const CLIENTS = arg('clients', 100);
const EVERY_MS = arg('every', 100);
const TARGET_S = 10;
const TARGET_P99 = 50;

log.level = 'silent';

/** Exempt from DB_STATEMENT_TIMEOUT_MS: a million rows, then VACUUM ANALYZE. */
async function seed(pool: Sql): Promise<number> {
	const sql = unbounded(pool);
	const t0 = performance.now();
	await sql`
		insert into access_key (id, key_hash, prefix)
		select 'stale-' || g, sha256(('stale-' || g)::bytea), 'ck_bench'
		from generate_series(1, ${N}::int) g`;
	await sql`
		insert into device_session (id, access_key_id, device_id, started_at, last_heartbeat_at)
		select 'ds_stale_' || g, 'stale-' || g, 'bench', now() - interval '1 hour', now() - interval '10 minutes' - make_interval(secs => g % 3600)
		from generate_series(1, ${N}::int) g`;
	await sql`
		insert into access_key (id, key_hash, prefix)
		select 'live-' || g, sha256(('live-' || g)::bytea), 'ck_bench' from generate_series(1, ${CLIENTS}::int) g`;
	await sql`
		insert into device_session (id, access_key_id, device_id)
		select encode(sha256(convert_to('ds_live_' || g, 'UTF8')), 'hex'), 'live-' || g, 'bench-live' from generate_series(1, ${CLIENTS}::int) g`;
	// As a database that has lived with these rows would be: statistics and visibility map set.
	await sql`vacuum analyze access_key`;
	await sql`vacuum analyze device_session`;
	// Start from a clean slate: the seed's dirty pages are not the cleanup's to write.
	await sql`checkpoint`;
	return performance.now() - t0;
}

/** Heartbeats from CLIENTS clients, each every EVERY_MS, until `stop` resolves; latencies in ms. */
async function heartbeats(sql: Sql, stop: Promise<void>): Promise<{ latencies: number[]; errors: number }> {
	let done = false;
	void stop.then(() => (done = true));
	const latencies: number[] = [];
	let errors = 0;
	const client = async (i: number) => {
		await sleep((i * EVERY_MS) / CLIENTS); // spread the clients over the interval
		while (!done) {
			const t0 = performance.now();
			try {
				await heartbeatSession(sql, { sessionId: `ds_live_${i + 1}` });
				latencies.push(performance.now() - t0);
			} catch {
				errors++;
			}
			await sleep(Math.max(0, EVERY_MS - (performance.now() - t0)));
		}
	};
	await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
	return { latencies, errors };
}

function ctx(sql: Sql): JobContext<{ timeoutSeconds: number; batchSize: number; workers: number }> {
	const output: string[] = [];
	return {
		signal: new AbortController().signal,
		log: (...args: unknown[]) => output.push(args.join(' ')),
		params: sessionCleanupParams.parse({}),
		db: wrap(sql),
		execution: { id: 0, jobKey: 'session-cleanup', attempt: 1, trigger: 'manual', scheduledFor: null }
	};
}

const row = (name: string, s: Summary, errors: number) => [name, String(s.n), fmt(s.p50, 2), fmt(s.p99, 2), fmt(s.max, 1), String(errors)];

await runBench(
	'bench:cleanup',
	async (db) => {
		heading(`cleanup: ${N.toLocaleString('en')} stale sessions, ${CLIENTS} clients heartbeating every ${EVERY_MS} ms`);
		const seedSql = db.pool(1);
		note('seeding (generate_series, then VACUUM ANALYZE) …');
		const seedMs = await seed(seedSql);
		note(`seeded in ${fmt(seedMs / 1000, 1)} s`);

		const hbPool = db.pool(20);
		await heartbeats(hbPool, sleep(2_000)); // warm-up: connections, prepared statements, JIT
		note('anchor: heartbeats alone for 5 s …');
		const anchor = await heartbeats(hbPool, sleep(5_000));

		note('session-cleanup handler with heartbeats continuing …');
		const cleanupPool = db.pool(2);
		let cleanupMs = 0;
		let result: { message?: string; metrics?: Record<string, number> } | void = undefined;
		const cleanup = (async () => {
			await sleep(500); // heartbeats first, so the whole cleanup runs under load
			const t0 = performance.now();
			result = await sessionCleanup.handler(ctx(cleanupPool) as unknown as JobContext);
			cleanupMs = performance.now() - t0;
		})();
		const during = await heartbeats(hbPool, cleanup.then(() => sleep(200)));
		const [{ open, expired }] = await seedSql<[{ open: number; expired: number }]>`
			select count(*) filter (where ended_at is null)::int as open, count(*) filter (where end_reason = 'expired')::int as expired from device_session`;

		const a = summarize(anchor.latencies);
		const d = summarize(during.latencies);
		const ended = (result as { metrics?: Record<string, number> } | undefined)?.metrics?.ended ?? NaN;
		const batches = (result as { metrics?: Record<string, number> } | undefined)?.metrics?.batches ?? NaN;
		heading('results');
		table([
			['heartbeats', 'n', 'p50 ms', 'p99 ms', 'max ms', 'errors'],
			row('alone (anchor)', a, anchor.errors),
			row('during cleanup', d, during.errors)
		]);
		note(`cleanup: ended ${ended} in ${fmt(cleanupMs / 1000, 2)} s (${batches} batches, ${fmt(ended / (cleanupMs / 1000), 0)} sessions/s); open afterwards ${open} (the ${CLIENTS} live ones), expired ${expired}`);
		note(`heartbeat p99 during cleanup / alone: ${fmt(d.p99 / a.p99, 2)}×; heartbeats/s during: ${fmt((d.n * 1000) / cleanupMs, 0)}`);
		return [
			check(`ends ${N} stale sessions in ≤ ${TARGET_S} s`, ended === N && cleanupMs <= TARGET_S * 1000, `${ended} in ${fmt(cleanupMs / 1000, 2)} s`),
			check(`heartbeat p99 ≤ ${TARGET_P99} ms during the cleanup`, d.p99 <= TARGET_P99 && during.errors === 0, `p99 ${fmt(d.p99, 2)} ms (alone ${fmt(a.p99, 2)} ms), ${during.errors} errors`),
			check('live sessions untouched', open === CLIENTS, `${open} open of ${CLIENTS}`)
		];
	},
	600_000
);
