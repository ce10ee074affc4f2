/**
 * Command jobs: what starting a run's program costs, and many at once.
 *
 * 1. Start overhead: 200 runs of `echo x` through runProcess (process group, /proc sampling,
 *    output capture) — spawn to first output byte, and spawn to the end of the run — beside bare
 *    `child_process.spawn` of the same program in the same run (the anchor), interleaved.
 * 2. Many at once: 50 runs of a 1 s program triggered together through the real Scheduler and
 *    ledger; all must finish within 3 s of the trigger.
 *
 *   npm run bench:command [-- --runs 200 --concurrent 50 --strict]
 */
import { spawn } from 'node:child_process';
import { syncCodeJobs } from '../src/lib/server/cron/jobs';
import * as ledger from '../src/lib/server/cron/ledger';
import { runProcess } from '../src/lib/server/cron/process/run-process';
import { createJobTypes } from '../src/lib/server/job-registry';
import { SecretBox } from '../src/lib/server/secrets/box';
import { DEFAULT_HTTP_JOB_DENY, EgressPolicy } from '../src/lib/server/egress/policy';
import { randomBytes } from 'node:crypto';
import { arg, check, createScheduler, fmt, heading, note, runBench, sleep, summarize, table } from './lib';

const RUNS = arg('runs', 200);
const CONCURRENT = arg('concurrent', 50);
const TARGET_ALL_MS = 3_000;

type Timing = { firstByte: number; done: number };

/** Bare spawn: time to the first stdout byte and to 'close'. */
function bare(argv: string[]): Promise<Timing> {
	return new Promise((resolve, reject) => {
		const t0 = performance.now();
		let firstByte = NaN;
		const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
		child.stdout.once('data', () => (firstByte = performance.now() - t0));
		child.on('error', reject);
		child.on('close', () => resolve({ firstByte, done: performance.now() - t0 }));
	});
}

/** The same program as a run's process (its own group, sampled, output captured). */
async function asRun(argv: string[]): Promise<Timing> {
	const t0 = performance.now();
	let firstByte = NaN;
	const result = await runProcess({ argv, env: process.env as Record<string, string>, killGraceMs: 1000 }, new AbortController().signal, () => {
		if (Number.isNaN(firstByte)) firstByte = performance.now() - t0;
	});
	if (result.exitCode !== 0) throw new Error(`run failed: ${JSON.stringify(result)}`);
	return { firstByte, done: performance.now() - t0 };
}

await runBench('bench:command', async (db) => {
	heading(`start overhead: ${RUNS} runs of \`echo x\`, interleaved with bare child_process.spawn`);
	const argv = ['echo', 'x'];
	for (let i = 0; i < 10; i++) await Promise.all([bare(argv), asRun(argv)]); // warm-up
	const ours: Timing[] = [];
	const anchor: Timing[] = [];
	for (let i = 0; i < RUNS; i++) {
		if (i % 2) {
			ours.push(await asRun(argv));
			anchor.push(await bare(argv));
		} else {
			anchor.push(await bare(argv));
			ours.push(await asRun(argv));
		}
	}
	const of = (xs: Timing[], k: keyof Timing) => summarize(xs.map((x) => x[k]));
	const rows = [
		['', 'first byte p50', 'p99', 'whole run p50', 'p99'],
		['command run', fmt(of(ours, 'firstByte').p50, 2), fmt(of(ours, 'firstByte').p99, 2), fmt(of(ours, 'done').p50, 2), fmt(of(ours, 'done').p99, 2)],
		['bare spawn', fmt(of(anchor, 'firstByte').p50, 2), fmt(of(anchor, 'firstByte').p99, 2), fmt(of(anchor, 'done').p50, 2), fmt(of(anchor, 'done').p99, 2)]
	];
	table(rows);
	const firstRatio = of(ours, 'firstByte').p50 / of(anchor, 'firstByte').p50;
	const doneRatio = of(ours, 'done').p50 / of(anchor, 'done').p50;
	note(`ratio command run / bare spawn (p50): first byte ${fmt(firstRatio, 2)}, whole run ${fmt(doneRatio, 2)} (ms)`);

	heading(`many at once: ${CONCURRENT} runs of \`sleep 1\` triggered together through the Scheduler`);
	const sql = db.pool(20);
	const types = createJobTypes({ secrets: new SecretBox(randomBytes(32)), egress: EgressPolicy.fromLists(DEFAULT_HTTP_JOB_DENY), commandJobs: true });
	const scheduler = createScheduler(sql, [], { types, concurrency: 100 });
	await syncCodeJobs(sql, []);
	await sql`insert into cron_job (key, name, source, type, params, schedule, timeout_ms, overlap, catch_up_max_age_ms)
		values ('sleeper', 'Sleeper', 'ui', 'command', ${sql.json({ argv: ['sleep', '1'], killGraceMs: 1000 })}, '0 0 1 1 *', 60000, 'allow', 0)`;
	await scheduler.start();
	const t0 = performance.now();
	const runs = await ledger.enqueue(
		sql,
		Array.from({ length: CONCURRENT }, () => ({ jobKey: 'sleeper', trigger: 'api' as const }))
	);
	scheduler.wakeQueue();
	let finished = 0;
	const deadline = Date.now() + 30_000;
	while (Date.now() < deadline) {
		const [row] = await sql<{ finished: number }[]>`
			select count(*)::int as finished from cron_job_execution where id = any(${runs.map((r) => r.id)}) and status not in ('queued', 'running')`;
		finished = row!.finished;
		if (finished === CONCURRENT) break;
		await sleep(20);
	}
	const allMs = performance.now() - t0;
	await scheduler.stop(5_000);
	const statuses = await sql<{ status: string; n: number }[]>`select status, count(*)::int as n from cron_job_execution group by status`;
	const spans = await sql<{ startLag: number; duration: number }[]>`
		select (extract(epoch from started_at - created_at) * 1000)::float8 as "startLag", duration_ms::float8 as duration
		from cron_job_execution where job_id = 'sleeper'`;
	const lag = summarize(spans.map((s) => s.startLag));
	const dur = summarize(spans.map((s) => s.duration));
	note(`all ${finished}/${CONCURRENT} finished ${fmt(allMs, 0)} ms after the trigger (anchor: the program itself takes 1000 ms)`);
	note(`queued → started p50 ${fmt(lag.p50)} p99 ${fmt(lag.p99)} ms; run duration p50 ${fmt(dur.p50)} p99 ${fmt(dur.p99)} ms; rows ${JSON.stringify(Object.fromEntries(statuses.map((s) => [s.status, s.n])))}`);
	note(`ratio all-finished / one program: ${fmt(allMs / 1000, 2)}`);
	return [
		check(`${CONCURRENT} concurrent 1 s runs all finish within ${TARGET_ALL_MS / 1000} s`, finished === CONCURRENT && allMs <= TARGET_ALL_MS, `${finished}/${CONCURRENT} in ${fmt(allMs, 0)} ms`),
		check('start overhead reported beside bare spawn', Number.isFinite(firstRatio), `first byte p50 ${fmt(of(ours, 'firstByte').p50, 2)} ms vs ${fmt(of(anchor, 'firstByte').p50, 2)} ms (ratio ${fmt(firstRatio, 2)})`)
	];
});
