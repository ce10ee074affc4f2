/**
 * 100,000 jobs: the built app (as `npm start` runs it) on a database holding 100,000 enabled
 * jobs (distinct schedules across time zones) and 10,000,000 executions, beside the same app
 * on 1,000 jobs and 100,000 executions (the anchor, measured in the same run).
 *
 * For each size: boot to `/healthz` 200, the process's RSS (now and its peak) and V8 heap,
 * then the admin list over HTTP as a signed-in admin: the first page, a search for one key, a
 * filter by state, and page 500 (page 10 at 1,000 jobs: its last) — p50/p95 of the response time
 * on loopback, and each page's HTML size.
 *
 * Targets (100,000 jobs): boot ≤ 15 s, RSS ≤ 400 MB, every list request p95 ≤ 100 ms, no page
 * over 500 KB.
 *
 *   npm run build && npm run bench:jobs-100k -- [--jobs 100000] [--runs 10000000] [--iterations 40] [--strict]
 *
 * Seeding uses generate_series (bench/admin-seed.ts): about two minutes for 10 M executions.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Sql } from 'postgres';
import { unbounded } from '../src/lib/server/db';
import { jobKey, seedJobs, seedRuns } from './admin-seed';
import { requireBuild, startApp, stop, type Target } from './app-process';
import { arg, check, fmt, heading, note, percentile, runBench, table, type BenchDatabase, type Check } from './lib';

const JOBS = arg('jobs', 100_000);
const RUNS = arg('runs', 10_000_000);
const ANCHOR_JOBS = 1_000;
const ANCHOR_RUNS = 100_000;
const ITERATIONS = Math.max(20, arg('iterations', 40));
const WARMUP = 5;
const PAGE_SIZE = 50;
const TARGET = { bootS: 15, rssMb: 400, p95Ms: 100, pageKb: 500 };
/** One key for both sizes (the database keeps its fingerprint). */
const SECRET_KEY = randomBytes(32).toString('base64');

/** Zones the jobs are spread over (current IANA names). */
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Asia/Tokyo', 'Australia/Sydney', 'America/Sao_Paulo', 'Europe/Kyiv', 'Africa/Lagos', 'Pacific/Auckland'];

/**
 * Every job enabled, each with a schedule of its own: minute, hour, day of month and month
 * from the job's number (60 × 24 × 28 × 12 combinations), so about one job in 5,000 is due on a
 * given day — the app is measured with its whole schedule armed, not while it fires thousands.
 */
async function spreadSchedules(pool: Sql): Promise<void> {
	await unbounded(pool).unsafe(
		`update cron_job set enabled = true,
			schedule = (n % 60) || ' ' || ((n / 60) % 24) || ' ' || (1 + (n / 1440) % 28) || ' ' || (1 + (n / 40320) % 12) || ' *',
			timezone = ($1::text[])[1 + n % array_length($1::text[], 1)]
		from (select key as k, substr(key, 7)::int as n from cron_job) s
		where cron_job.key = s.k`,
		[ZONES]
	);
	await unbounded(pool).unsafe('vacuum analyze cron_job');
}

type Size = { jobs: number; runs: number };
type Timing = { p50: number; p95: number; bytes: number };
type Result = { bootS: number; rssMb: number; peakRssMb: number; heapMb: number; pages: Map<string, Timing> };

async function seed(db: BenchDatabase, size: Size): Promise<void> {
	const admin = db.pool(1);
	await unbounded(admin).unsafe('truncate cron_job, cron_job_execution cascade');
	let t = performance.now();
	await seedJobs(admin, size.jobs);
	await spreadSchedules(admin);
	note(`${size.jobs.toLocaleString('en')} jobs seeded in ${fmt((performance.now() - t) / 1000)} s`);
	t = performance.now();
	await seedRuns(admin, size.runs, size.jobs);
	note(`${size.runs.toLocaleString('en')} executions seeded in ${fmt((performance.now() - t) / 1000)} s`);
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
async function memoryOf(pid: number | undefined): Promise<{ rss: number; peak: number }> {
	const status = pid ? await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '') : '';
	const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
	return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function heapMb(origin: string): Promise<number> {
	const text = await (await fetch(`${origin}/metrics`)).text();
	const m = /^cronkit_nodejs_heap_size_used_bytes (\S+)/m.exec(text);
	return m ? Number(m[1]) / 1024 / 1024 : NaN;
}

/** Signs in through the /login form and returns the cookies to send. */
async function signIn(origin: string): Promise<string> {
	// The app's ORIGIN (app-process.ts) is localhost: the form's CSRF check compares with it.
	const res = await fetch(`${origin}/login`, {
		method: 'POST',
		headers: { origin: origin.replace('127.0.0.1', 'localhost'), accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ email: 'bench@example.com', password: 'bench-password-0123456789' }),
		redirect: 'manual'
	});
	if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
	return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

async function measure(url: string, cookie: string): Promise<Timing> {
	const once = async () => {
		const t = performance.now();
		const res = await fetch(url, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
		const body = await res.arrayBuffer();
		if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
		return { ms: performance.now() - t, bytes: body.byteLength };
	};
	for (let i = 0; i < WARMUP; i++) await once();
	const times: number[] = [];
	let bytes = 0;
	for (let i = 0; i < ITERATIONS; i++) {
		const r = await once();
		times.push(r.ms);
		bytes = Math.max(bytes, r.bytes);
	}
	times.sort((a, b) => a - b);
	return { p50: percentile(times, 50), p95: percentile(times, 95), bytes };
}

/** The requests, named alike at both sizes (the deep page is the 500th, or the last there is). */
function requests(size: Size): [string, string][] {
	const deepPage = Math.min(500, Math.ceil(size.jobs / PAGE_SIZE));
	return [
		['first page', '/admin/cron'],
		['search for one key', `/admin/cron?q=${jobKey(Math.floor(size.jobs * 0.61803))}`],
		['filter by state (failing)', '/admin/cron?state=failing'],
		[`page ${deepPage === 500 ? 500 : `${deepPage} (the last)`}`, `/admin/cron?page=${deepPage}`]
	];
}

async function measureSize(db: BenchDatabase, size: Size, dataDir: string): Promise<Result> {
	heading(`${size.jobs.toLocaleString('en')} jobs, ${size.runs.toLocaleString('en')} executions`);
	await seed(db, size);
	let app: Target | undefined;
	try {
		const t = performance.now();
		app = await startApp(db.url, dataDir, 'scripts/start.js', { SECRET_KEY });
		const bootS = (performance.now() - t) / 1000;
		const origin = `http://127.0.0.1:${app.port}`;
		note(`boot to /healthz 200: ${fmt(bootS, 2)} s`);
		const cookie = await signIn(origin);
		const pages = new Map<string, Timing>();
		for (const [name, p] of requests(size)) {
			const r = await measure(origin + p, cookie);
			pages.set(name.replace(/ \(the last\)$/, '').replace(/^page \d+$/, 'deep page'), r);
			note(`${name.padEnd(28)} p50 ${fmt(r.p50)} ms, p95 ${fmt(r.p95)} ms, ${fmt(r.bytes / 1024)} KB`);
		}
		const mem = await memoryOf(app.child.pid);
		const heap = await heapMb(origin);
		note(`RSS ${fmt(mem.rss)} MB (peak ${fmt(mem.peak)} MB), V8 heap used ${fmt(heap)} MB`);
		return { bootS, rssMb: mem.rss, peakRssMb: mem.peak, heapMb: heap, pages };
	} finally {
		await stop(app);
	}
}

async function body(db: BenchDatabase): Promise<Check[]> {
	await requireBuild('bench:jobs-100k');
	const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-jobs-100k-'));
	try {
		const anchor = await measureSize(db, { jobs: ANCHOR_JOBS, runs: ANCHOR_RUNS }, dataDir);
		const big = await measureSize(db, { jobs: JOBS, runs: RUNS }, dataDir);

		heading(`side by side (${ITERATIONS} requests each after ${WARMUP} warm-up; response time on loopback)`);
		const A = ANCHOR_JOBS.toLocaleString('en');
		const B = JOBS.toLocaleString('en');
		const rows: string[][] = [['', `${A} jobs`, `${B} jobs`, 'ratio']];
		rows.push(['boot to /healthz 200, s', fmt(anchor.bootS, 2), fmt(big.bootS, 2), fmt(big.bootS / anchor.bootS, 2)]);
		rows.push(['RSS after the requests, MB', fmt(anchor.rssMb), fmt(big.rssMb), fmt(big.rssMb / anchor.rssMb, 2)]);
		rows.push(['peak RSS, MB', fmt(anchor.peakRssMb), fmt(big.peakRssMb), fmt(big.peakRssMb / anchor.peakRssMb, 2)]);
		rows.push(['V8 heap used, MB', fmt(anchor.heapMb), fmt(big.heapMb), fmt(big.heapMb / anchor.heapMb, 2)]);
		const checks: Check[] = [
			check('boot', big.bootS <= TARGET.bootS, `${fmt(big.bootS, 2)} s to /healthz 200 (target ≤ ${TARGET.bootS})`),
			check('RSS', big.peakRssMb <= TARGET.rssMb, `peak ${fmt(big.peakRssMb)} MB, ${fmt(big.rssMb)} MB after the requests (target ≤ ${TARGET.rssMb})`)
		];
		for (const [name, b] of big.pages) {
			const a = anchor.pages.get(name)!;
			rows.push([`${name} p50 / p95, ms`, `${fmt(a.p50)} / ${fmt(a.p95)}`, `${fmt(b.p50)} / ${fmt(b.p95)}`, `${fmt(b.p50 / a.p50, 2)} / ${fmt(b.p95 / a.p95, 2)}`]);
			rows.push([`${name} HTML, KB`, fmt(a.bytes / 1024), fmt(b.bytes / 1024), fmt(b.bytes / a.bytes, 2)]);
			checks.push(check(`${name} p95`, b.p95 <= TARGET.p95Ms, `${fmt(b.p95)} ms (target ≤ ${TARGET.p95Ms})`));
			checks.push(check(`${name} size`, b.bytes <= TARGET.pageKb * 1024, `${fmt(b.bytes / 1024)} KB (target ≤ ${TARGET.pageKb})`));
		}
		table(rows);
		return checks;
	} finally {
		await fs.rm(dataDir, { recursive: true, force: true });
	}
}

await runBench(`jobs-100k: the admin list and the process at ${JOBS.toLocaleString('en')} jobs and ${RUNS.toLocaleString('en')} executions`, body, 40 * 60_000);
