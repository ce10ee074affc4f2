/**
 * Memory: heap held by one Scheduler with 10,000 enabled jobs of distinct schedules (distinct
 * second/minute/hour, ten zones) armed, after start(). The pool, the driver and drizzle are
 * warmed before the baseline so their memory is not charged to the scheduler; the job
 * definitions (application code) exist before the baseline too. No tick falls due during the
 * measurement. Anchor: the same schedules as croner `Cron` instances (paused, one timer each).
 * Target: ≤ 50 MB.
 *
 *   npm run bench:memory [-- --jobs 10000 --strict]     (needs node --expose-gc)
 */
import { Cron } from 'croner';
import type { Sql } from 'postgres';
import { defineJob, type RegisteredJob } from '../src/lib/server/cron/types';
import { wrap } from '../src/lib/server/db';
import { arg, check, createScheduler, fmt, heading, note, runBench, sleep, table } from './lib';

const JOBS = arg('jobs', 10_000);
/** Anchor instances actually created; the figure is scaled to JOBS. */
const ANCHOR = Math.min(JOBS, arg('anchor', 10_000));
const TARGET_MB = 50;
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney', 'America/Los_Angeles', 'Europe/London', 'Asia/Kolkata', 'America/Sao_Paulo', 'Africa/Johannesburg'];
/** No schedule may fire this soon: boot and measurement happen well inside it. */
const QUIET_MS = 30 * 60_000;
const MB = 1024 * 1024;

const gc = globalThis.gc;
if (!gc) {
	console.error('run with node --expose-gc (npm run bench:memory)');
	process.exit(2);
}

/** Heap in use after full collections (a few rounds: finalizers and weak refs settle). */
async function heapUsed(): Promise<number> {
	for (let i = 0; i < 3; i++) {
		gc!();
		await sleep(20);
	}
	return process.memoryUsage().heapUsed;
}

type Spec = { schedule: string; timezone: string };

/** Daily schedules, each (second, minute, hour, zone) distinct, none due within QUIET_MS. */
function schedules(count: number): Spec[] {
	const out: Spec[] = [];
	const quietUntil = new Date(Date.now() + QUIET_MS);
	for (let i = 0; out.length < count && i < 86_400; i++) {
		const s = { schedule: `${i % 60} ${Math.floor(i / 60) % 60} ${Math.floor(i / 3600) % 24} * * *`, timezone: ZONES[i % ZONES.length]! };
		const probe = new Cron(s.schedule, { paused: true, timezone: s.timezone });
		const next = probe.nextRun();
		if (next && next > quietUntil) out.push(s);
	}
	return out;
}

async function warmPool(sql: Sql, max: number): Promise<void> {
	await Promise.all(Array.from({ length: max }, () => sql`select pg_sleep(0.02)`));
	const db = wrap(sql);
	await db.query.cronJob.findMany();
}

await runBench('bench:memory', async (database) => {
	heading(`memory: ${JOBS} enabled jobs with distinct schedules in one Scheduler`);
	const specs = schedules(JOBS);
	const noop = () => {};
	const definitions: RegisteredJob[] = specs.map((s, i) =>
		defineJob({ key: `mem-${String(i).padStart(5, '0')}`, name: `memory ${i}`, schedule: s.schedule, timezone: s.timezone, handler: noop })
	);
	const POOL = 20;
	const sql = database.pool(POOL);
	await warmPool(sql, POOL);
	const db = wrap(sql);

	const before = await heapUsed();
	const scheduler = createScheduler(sql, definitions, { db });
	const t0 = performance.now();
	await scheduler.start();
	const bootMs = performance.now() - t0;
	const after = await heapUsed();
	const status = scheduler.status();
	const [{ runs }] = await sql<[{ runs: number }]>`select count(*)::int as runs from cron_job_execution`;
	await scheduler.stop(1_000);
	const schedulerBytes = after - before;

	note(`anchor: ${ANCHOR} croner Cron instances (paused, one timer each)${ANCHOR < JOBS ? `, scaled ×${fmt(JOBS / ANCHOR, 1)}` : ''} …`);
	const base = await heapUsed();
	const crons = specs.slice(0, ANCHOR).map((s) => new Cron(s.schedule, { paused: true, timezone: s.timezone }, noop));
	const withCrons = await heapUsed();
	for (const c of crons) c.stop();
	const cronerBytes = ((withCrons - base) * JOBS) / ANCHOR;

	heading('results (heap used after gc)');
	table([
		['', 'heap MB', 'KB per job'],
		['cronkit scheduler', fmt(schedulerBytes / MB), fmt(schedulerBytes / 1024 / JOBS, 2)],
		[`croner ×${JOBS}${ANCHOR < JOBS ? ' (scaled)' : ''}`, fmt(cronerBytes / MB), fmt(cronerBytes / 1024 / JOBS, 2)]
	]);
	note(`baseline (pool of ${POOL} warmed, drizzle, definitions): ${fmt(before / MB)} MB; after start(): ${fmt(after / MB)} MB`);
	note(`scheduler: ${status.jobs} jobs loaded, ${status.armed} armed, next tick ${status.nextTickAt}; boot ${fmt(bootMs / 1000, 1)} s`);
	note(`runs recorded during the measurement: ${runs} (must be 0)`);
	note(`ratio cronkit/croner: ${fmt(schedulerBytes / cronerBytes, 3)}`);
	return [
		check(`scheduler heap ≤ ${TARGET_MB} MB`, schedulerBytes / MB <= TARGET_MB, `${fmt(schedulerBytes / MB)} MB for ${JOBS} jobs (${fmt(schedulerBytes / 1024 / JOBS, 2)} KB/job; croner ${fmt(cronerBytes / MB, 0)} MB, ratio ${fmt(schedulerBytes / cronerBytes, 3)})`),
		check('all jobs armed, nothing fired', status.armed === JOBS && runs === 0, `${status.armed}/${JOBS} armed, ${runs} runs`)
	];
});
