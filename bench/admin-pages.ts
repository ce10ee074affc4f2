/**
 * Admin pages: the server time of the loads of /admin/cron, /admin/cron/[key] and deep
 * history pages, with 1,000 jobs over first 10,000 and then 10,000,000 runs (seeded by
 * generate_series, see admin-seed.ts). The loads are the pages' own functions
 * (src/lib/server/admin/pages.ts), called directly: same queries, same code path, no HTTP.
 * Also counts the queries each load runs with 10 jobs and with 1,000 (no N+1).
 *
 * Targets: p95 ≤ 50 ms at 10 M runs, and the 10 M / 10 k ratio ≤ 1.5 (median ratio checked,
 * p95 ratio printed); query counts equal for 10 and 1,000 jobs.
 *
 *   npx tsx bench/admin-pages.ts [--jobs 1000] [--small 10000] [--large 10000000] [--iterations 50] [--covering-index] [--strict]
 */
import pino from 'pino';
import postgres, { type Sql } from 'postgres';
import { Scheduler } from '../src/lib/server/cron/scheduler';
import { CronJobService } from '../src/lib/server/cron/service';
import { wrap } from '../src/lib/server/db';
import { cronListPage, executionsPage, jobPage, type PageDeps } from '../src/lib/server/admin/pages';
import { clearRuns, jobKey, seedJobs, seedRuns } from './admin-seed';
import { benchJobTypes } from './lib';
import { arg, check, fmt, heading, note, percentile, runBench, table, type BenchDatabase, type Check } from './lib';

const JOBS = arg('jobs', 1_000);
const SMALL = arg('small', 10_000);
const LARGE = arg('large', 10_000_000);
const ITERATIONS = Math.max(50, arg('iterations', 50));
/**
 * Experiment: add (job_id, id desc) INCLUDE (status), so the list's success rates are read
 * from the index alone (index-only scans) instead of one heap fetch per run.
 */
const COVERING = process.argv.includes('--covering-index');
const WARMUP = 5;
const TARGET_P95_MS = 50;
const TARGET_RATIO = 1.5;
/** 10000 → "10k", 10000000 → "10M". */
const short = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const S = short(SMALL);
const L = short(LARGE);

/** A pool like the app's (openPool), plus a statement counter (postgres.js `debug`). */
function countingPool(url: string): { sql: Sql; count: () => number } {
	let n = 0;
	const sql = postgres(url, {
		max: 10,
		onnotice: () => {},
		connection: { application_name: 'cronkit-bench' },
		types: { bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (s: string) => Number(s) } },
		debug: () => {
			n++;
		}
	});
	return { sql, count: () => n };
}

function depsFor(sql: Sql): PageDeps {
	const db = wrap(sql);
	const scheduler = new Scheduler({ sql, db, instanceId: 'bench', defaultTimezone: 'UTC', definitions: [], types: benchJobTypes, log: pino({ level: 'silent' }) });
	const cron = new CronJobService({ sql, db, defaultTimezone: 'UTC', definitions: [], types: benchJobTypes, scheduler });
	return { cron, sql };
}

type Page = { name: string; load: () => Promise<unknown> };

async function deepCursor(sql: Sql): Promise<number> {
	// 5% into the table from its oldest run: the job's oldest history pages.
	const [r] = await sql<{ id: number }[]>`select (min(id) + (max(id) - min(id)) / 20)::bigint as id from cron_job_execution`;
	return Number(r!.id);
}

/** `datetime-local` wall time (UTC, the bench's zone) `n` days ago. */
const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 16);

async function pagesFor(deps: PageDeps): Promise<Page[]> {
	const busy = jobKey(0);
	const median = jobKey(Math.floor(JOBS / 2));
	const deep = await deepCursor(deps.sql);
	const p = (s: string) => new URLSearchParams(s);
	return [
		{ name: '/admin/cron', load: () => cronListPage(deps, p('')) },
		{ name: `/admin/cron/${busy}`, load: () => jobPage(deps, busy, p('')) },
		{ name: `/admin/cron/${median}`, load: () => jobPage(deps, median, p('')) },
		{ name: `/admin/cron/${busy}?before=deep`, load: () => jobPage(deps, busy, p(`before=${deep}`)) },
		{ name: `/admin/cron/${median}?before=deep`, load: () => jobPage(deps, median, p(`before=${deep}`)) },
		{ name: '/admin/cron/executions?before=deep', load: () => executionsPage(deps, p(`before=${deep}`)) },
		{ name: '/admin/cron/executions?status=failed&before=deep', load: () => executionsPage(deps, p(`status=failed&before=${deep}`)) },
		{ name: '/admin/cron/executions?trigger=manual&before=deep', load: () => executionsPage(deps, p(`trigger=manual&before=${deep}`)) },
		{ name: '/admin/cron/executions?from=…&to=… (a day, 20 days ago)', load: () => executionsPage(deps, p(`from=${day(20)}&to=${day(19)}`)) }
	];
}

type Timing = { p50: number; p95: number };

async function measure(page: Page): Promise<Timing> {
	for (let i = 0; i < WARMUP; i++) await page.load();
	const times: number[] = [];
	for (let i = 0; i < ITERATIONS; i++) {
		const t = performance.now();
		await page.load();
		times.push(performance.now() - t);
	}
	times.sort((a, b) => a - b);
	return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

async function queriesPerLoad(counter: { count: () => number }, load: () => Promise<unknown>): Promise<number> {
	await load(); // prepared statements and caches warm
	const before = counter.count();
	await load();
	return counter.count() - before;
}

async function setFsyncOff(sql: Sql): Promise<void> {
	// A throw-away server: durability is not under test, seeding speed is.
	await sql.unsafe(`alter system set fsync = off`);
	await sql.unsafe(`alter system set full_page_writes = off`);
	await sql.unsafe(`alter system set synchronous_commit = off`);
	await sql.unsafe(`select pg_reload_conf()`);
}

async function body(db: BenchDatabase): Promise<Check[]> {
	const admin = db.pool(1);
	await setFsyncOff(admin);
	if (COVERING) {
		await admin.unsafe('create index cron_job_execution_history_status_idx on cron_job_execution (job_id, id desc nulls last) include (status)');
		note('experiment: with the covering index (job_id, id desc) include (status)');
	}
	const counted = countingPool(db.url);
	const deps = depsFor(counted.sql);
	try {
		// ---- queries per load: 10 jobs, then 1,000 -----------------------------------------
		heading('queries per page load');
		await seedJobs(admin, 10);
		await seedRuns(admin, 2_000, 10);
		const small = { list: 0, detail: 0, runs: 0 };
		small.list = await queriesPerLoad(counted, () => cronListPage(deps, new URLSearchParams()));
		small.detail = await queriesPerLoad(counted, () => jobPage(deps, jobKey(0), new URLSearchParams()));
		small.runs = await queriesPerLoad(counted, () => executionsPage(deps, new URLSearchParams()));
		await admin.unsafe('truncate cron_job cascade');
		await seedJobs(admin, JOBS);
		let t = performance.now();
		await seedRuns(admin, SMALL, JOBS);
		note(`seeded ${JOBS} jobs and ${SMALL.toLocaleString('en')} runs in ${fmt((performance.now() - t) / 1000)} s`);
		const big = {
			list: await queriesPerLoad(counted, () => cronListPage(deps, new URLSearchParams())),
			detail: await queriesPerLoad(counted, () => jobPage(deps, jobKey(0), new URLSearchParams())),
			runs: await queriesPerLoad(counted, () => executionsPage(deps, new URLSearchParams()))
		};
		table([
			['page', '10 jobs', `${JOBS} jobs`],
			['/admin/cron', String(small.list), String(big.list)],
			['/admin/cron/[key]', String(small.detail), String(big.detail)],
			['/admin/cron/executions', String(small.runs), String(big.runs)]
		]);

		// ---- timings: 10 k runs, then 10 M ---------------------------------------------------
		heading(`${SMALL.toLocaleString('en')} runs`);
		const smallTimes = new Map<string, Timing>();
		for (const page of await pagesFor(deps)) smallTimes.set(page.name, await measure(page));
		note('done');

		await clearRuns(admin);
		t = performance.now();
		await seedRuns(admin, LARGE, JOBS, (step, ms) => note(`  ${step}: ${fmt(ms / 1000)} s`));
		const seedS = (performance.now() - t) / 1000;
		const [{ size }] = await admin<[{ size: string }]>`select pg_size_pretty(pg_total_relation_size('cron_job_execution')) as size`;
		note(`seeded ${LARGE.toLocaleString('en')} runs in ${fmt(seedS)} s (table and indexes: ${size})`);

		heading(`${LARGE.toLocaleString('en')} runs`);
		const largeTimes = new Map<string, Timing>();
		for (const page of await pagesFor(deps)) largeTimes.set(page.name, await measure(page));

		heading(`server time of each load, ms (${ITERATIONS} iterations after ${WARMUP} warm-up)`);
		const rows: string[][] = [['page', `${S} p50`, `${S} p95`, `${L} p50`, `${L} p95`, 'ratio p50', 'ratio p95']];
		const checks: Check[] = [];
		for (const [name, s] of smallTimes) {
			const l = largeTimes.get(name)!;
			const r50 = l.p50 / s.p50;
			const r95 = l.p95 / s.p95;
			rows.push([name, fmt(s.p50), fmt(s.p95), fmt(l.p50), fmt(l.p95), fmt(r50, 2), fmt(r95, 2)]);
			checks.push(check(`${name} p95 at ${L}`, l.p95 <= TARGET_P95_MS, `${fmt(l.p95)} ms (target ≤ ${TARGET_P95_MS})`));
			checks.push(check(`${name} ${L}/${S}`, r50 <= TARGET_RATIO, `median ×${fmt(r50, 2)}, p95 ×${fmt(r95, 2)} (target ≤ ${TARGET_RATIO})`));
		}
		table(rows);
		checks.push(
			check('no N+1', small.list === big.list && small.detail === big.detail && small.runs === big.runs, `list ${small.list}/${big.list}, detail ${small.detail}/${big.detail}, runs ${small.runs}/${big.runs} queries (10 / ${JOBS} jobs)`)
		);
		checks.push(check(`${L} seed time`, seedS <= 180, `${fmt(seedS)} s (target ≤ 180)`));
		return checks;
	} finally {
		await counted.sql.end({ timeout: 2 }).catch(() => undefined);
	}
}

await runBench(`admin pages: list, job detail and deep history over ${S} and ${L} runs`, body, 25 * 60_000);
