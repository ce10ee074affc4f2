/**
 * Throughput: sustained runs/s of no-op queued runs through claim (FOR UPDATE SKIP LOCKED),
 * handler and group-committed completion. N `queued` manual rows over 50 jobs (overlap
 * `allow`, a schedule that never fires during the bench) are inserted in bulk before the
 * clock starts; the clock runs from start() until COUNT(succeeded) = N (polled every 100 ms).
 * Anchor, same database, run before: a raw postgres.js loop doing one INSERT and one UPDATE per
 * run on a scratch copy of cron_job_execution, same pool size, as many concurrent workers as
 * the scheduler's concurrency. Targets: ≥ 2,000 runs/s and ≥ 50% of the raw loop.
 *
 *   npm run bench:throughput [-- --runs 50000 --concurrency 200 --pool 20 --strict]
 */
import type { Sql } from 'postgres';
import { syncCodeJobs } from '../src/lib/server/cron/jobs';
import { unbounded } from '../src/lib/server/db';
import { defineJob } from '../src/lib/server/cron/types';
import { arg, check, createScheduler, fmt, heading, note, runBench, sleep, table } from './lib';

const RUNS = arg('runs', 50_000);
const CONCURRENCY = arg('concurrency', 200);
const POOL = arg('pool', 20);
const JOBS = 50;
const TARGET_RPS = 2_000;
const TARGET_RATIO = 0.5;
const LIMIT_MS = 75_000;

type Result = { ms: number; done: number; steadyRps: number };

/** runs/s between 10% and 90% of N, from the COUNT samples (start-up and tail excluded). */
function steady(samples: { ms: number; done: number }[], n: number): number {
	const lo = samples.find((s) => s.done >= n * 0.1);
	const hi = samples.find((s) => s.done >= n * 0.9);
	return lo && hi && hi.ms > lo.ms ? ((hi.done - lo.done) * 1000) / (hi.ms - lo.ms) : NaN;
}

/** The anchor: per run, INSERT a running row and UPDATE it to succeeded (two autocommits). */
async function rawLoop(sql: Sql): Promise<Result> {
	await sql.unsafe(`create table bench_raw_execution (like cron_job_execution including defaults including identity including constraints including indexes)`);
	let next = 0;
	const t0 = performance.now();
	const worker = async () => {
		while (next < RUNS) {
			const i = next++;
			const [row] = await sql<[{ id: number }]>`
				insert into bench_raw_execution (job_id, trigger, run_at, status, instance_id, started_at, lease_expires_at)
				values (${`tp-${i % JOBS}`}, 'manual', now(), 'running', 'raw', now(), now() + interval '30 seconds')
				returning id`;
			await sql`
				update bench_raw_execution set status = 'succeeded', finished_at = now(), duration_ms = 0, lease_expires_at = null
				where id = ${row.id}`;
		}
	};
	await Promise.all(Array.from({ length: CONCURRENCY }, worker));
	const ms = performance.now() - t0;
	const [{ done }] = await sql<[{ done: number }]>`select count(*)::int as done from bench_raw_execution where status = 'succeeded'`;
	await sql`drop table bench_raw_execution`;
	return { ms, done, steadyRps: NaN };
}

async function cronkit(sql: Sql, poll: Sql): Promise<Result & { bootMs: number; statuses: Record<string, number> }> {
	const definitions = Array.from({ length: JOBS }, (_, i) =>
		defineJob({ key: `tp-${i}`, name: `throughput ${i}`, schedule: '0 0 1 1 *', overlap: 'allow', catchUp: 'skip', handler: () => {} })
	);
	await syncCodeJobs(sql, definitions);
	// Seeding, exempt from DB_STATEMENT_TIMEOUT_MS.
	await unbounded(sql)`
		insert into cron_job_execution (job_id, trigger, run_at, status, triggered_by)
		select 'tp-' || (g % ${JOBS}), 'manual', now(), 'queued', 'bench' from generate_series(1, ${RUNS}::int) g`;
	await unbounded(sql)`analyze cron_job_execution`;
	const scheduler = createScheduler(sql, definitions, { concurrency: CONCURRENCY });
	const samples: { ms: number; done: number }[] = [];
	const t0 = performance.now();
	await scheduler.start();
	const bootMs = performance.now() - t0;
	let done = 0;
	while (done < RUNS && performance.now() - t0 < LIMIT_MS) {
		await sleep(100);
		[{ done }] = await poll<[{ done: number }]>`select count(*)::int as done from cron_job_execution where status = 'succeeded'`;
		samples.push({ ms: performance.now() - t0, done });
	}
	const ms = performance.now() - t0;
	await scheduler.stop(5_000);
	const rows = await poll<{ status: string; n: number }[]>`select status, count(*)::int as n from cron_job_execution group by status order by status`;
	return { ms, done, steadyRps: steady(samples, RUNS), bootMs, statuses: Object.fromEntries(rows.map((r) => [r.status, r.n])) };
}

await runBench('bench:throughput', async (db) => {
	heading(`throughput: ${RUNS} no-op queued runs, concurrency ${CONCURRENCY}, pool ${POOL}`);
	note('anchor: raw postgres.js INSERT + UPDATE per run …');
	const raw = await rawLoop(db.pool(POOL));
	note('cronkit: Scheduler claiming, running and completing queued rows …');
	const ck = await cronkit(db.pool(POOL), db.pool(1));

	const rawRps = (raw.done * 1000) / raw.ms;
	const ckRps = (ck.done * 1000) / ck.ms;
	const ratio = ckRps / rawRps;
	heading('results');
	table([
		['', 'runs', 'seconds', 'runs/s', 'steady runs/s'],
		['cronkit scheduler', String(ck.done), fmt(ck.ms / 1000, 2), fmt(ckRps, 0), fmt(ck.steadyRps, 0)],
		['raw INSERT+UPDATE', String(raw.done), fmt(raw.ms / 1000, 2), fmt(rawRps, 0), '']
	]);
	note(`cronkit: boot ${fmt(ck.bootMs, 0)} ms (inside the timed window); rows by status ${JSON.stringify(ck.statuses)}`);
	note(`ratio cronkit/raw: ${fmt(ratio * 100, 0)}% (steady-state cronkit/raw: ${fmt((ck.steadyRps / rawRps) * 100, 0)}%)`);
	return [
		check(`cronkit ≥ ${TARGET_RPS} runs/s`, ckRps >= TARGET_RPS && ck.done === RUNS, `${fmt(ckRps, 0)} runs/s (${ck.done}/${RUNS} done in ${fmt(ck.ms / 1000, 2)} s)`),
		check(`cronkit ≥ ${TARGET_RATIO * 100}% of the raw loop`, ratio >= TARGET_RATIO, `${fmt(ratio * 100, 0)}% (raw ${fmt(rawRps, 0)} runs/s)`)
	];
});
