/**
 * Shared pieces of the benchmarks: a throw-away PostgreSQL (embedded in a temp dir, or a fresh
 * database on BENCH_DATABASE_URL), a Scheduler with a silent logger, percentiles, a printer,
 * and a runner that always cleans up and turns FAIL into a non-zero exit only with --strict.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import postgres, { type Sql } from 'postgres';
import type { Logger } from 'pino';
import { AlertService } from '../src/lib/server/alerts/service';
import { createJobTypes } from '../src/lib/server/job-registry';
import { systemClock } from '../src/lib/server/cron/clock';
import { DbTime } from '../src/lib/server/cron/db-time';
import { InstanceRegistry } from '../src/lib/server/instances/registry';
import { Scheduler, type SchedulerOptions } from '../src/lib/server/cron/scheduler';
import type { RegisteredJob } from '../src/lib/server/cron/types';
import { openPool, wrap } from '../src/lib/server/db';
import { startEmbedded } from '../src/lib/server/db/embedded';
import { migrate } from '../src/lib/server/db/migrate';
import { DEFAULT_HTTP_JOB_DENY, EgressPolicy } from '../src/lib/server/egress/policy';
import { SecretBox } from '../src/lib/server/secrets/box';

const MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

export { nowMs, sleep, sleepUntil } from './time';

export function arg(name: string, fallback: number): number {
	const i = process.argv.indexOf(`--${name}`);
	const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
	return Number.isFinite(v) ? v : fallback;
}

// ---- database -----------------------------------------------------------------------

export type BenchDatabase = {
	url: string;
	/** Where it runs: `embedded (temp dir)` or the BENCH_DATABASE_URL host. */
	where: string;
	/** A pool on the bench database; closed with the database. */
	pool(max?: number): Sql;
	close(): Promise<void>;
};

function withDatabase(url: string, name: string): string {
	const u = new URL(url);
	u.pathname = `/${name}`;
	return u.toString();
}

/**
 * A migrated, empty database: a fresh database on BENCH_DATABASE_URL's server if set (dropped
 * on close), else an embedded server in a temp dir (stopped and removed on close). Server
 * settings are the embedded defaults (durable commits), as in production.
 */
export async function startDatabase(): Promise<BenchDatabase> {
	const pools: Sql[] = [];
	let url: string;
	let where: string;
	let teardown: () => Promise<void>;
	const external = process.env.BENCH_DATABASE_URL;
	if (external) {
		const name = `cronkit_bench_${randomBytes(5).toString('hex')}`;
		const admin = postgres(external, { max: 1, onnotice: () => {} });
		await admin.unsafe(`create database ${name}`);
		await admin.end();
		url = withDatabase(external, name);
		where = `${new URL(external).host} (database ${name})`;
		teardown = async () => {
			const a = postgres(external, { max: 1, onnotice: () => {} });
			await a.unsafe(`drop database if exists ${name} with (force)`);
			await a.end();
		};
	} else {
		const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-bench-'));
		try {
			const server = await startEmbedded({ dataDir, mode: 'own' });
			url = server.url;
			where = `embedded PostgreSQL in ${dataDir}`;
			teardown = async () => {
				await server.stop();
				await fs.rm(dataDir, { recursive: true, force: true });
			};
		} catch (err) {
			await fs.rm(dataDir, { recursive: true, force: true });
			throw err;
		}
	}
	const pool = (max = 20) => {
		const p = openPool(url, max);
		pools.push(p);
		return p;
	};
	const close = async () => {
		await Promise.all(pools.map((p) => p.end({ timeout: 2 }).catch(() => undefined)));
		await teardown();
	};
	try {
		const sql = pool(1);
		await migrate(sql, MIGRATIONS);
	} catch (err) {
		await close();
		throw err;
	}
	return { url, where, pool, close };
}

// ---- scheduler ----------------------------------------------------------------------

const silent = pino({ level: 'silent' });

const benchSecrets = new SecretBox(randomBytes(32));
const benchEgress = EgressPolicy.fromLists(DEFAULT_HTTP_JOB_DENY);

/** The app's job types under a throw-away key and the default egress policy. */
export const benchJobTypes = createJobTypes({ secrets: benchSecrets, egress: benchEgress });

/** A Scheduler on `sql` as the app builds one, with a silent logger. */
export function createScheduler(sql: Sql, definitions: RegisteredJob[], opts: Partial<SchedulerOptions> = {}): Scheduler {
	return new Scheduler({
		sql,
		db: opts.db ?? wrap(sql),
		instanceId: `bench-${process.pid}`,
		defaultTimezone: 'UTC',
		definitions,
		types: benchJobTypes,
		log: silent,
		...opts
	});
}

export type IdleWorker = { scheduler: Scheduler; start(): Promise<void>; stop(): Promise<void> };

/**
 * What a worker-only process (CRON_ROLE=worker, the CLI's `worker`) runs besides its HTTP
 * server, as `boot()` in src/lib/server/runtime.ts starts it: the Scheduler, the instance
 * registry and the alerts (evaluator, senders, monitor watch), sharing one estimate of the
 * database's clock. For the idle benches (bench:idle, bench:peers' idle table).
 */
export function idleWorker(sql: Sql, definitions: RegisteredJob[], log: Logger): IdleWorker {
	const time = new DbTime(systemClock);
	const id = `bench-${process.pid}`;
	const scheduler = createScheduler(sql, definitions, { log, time, instanceId: id });
	const registry = new InstanceRegistry({ sql, log, time, id, role: 'worker' });
	const alerts = new AlertService({ sql, log, origin: 'http://localhost:3000', defaultTimezone: 'UTC', secrets: benchSecrets, egress: benchEgress, time });
	return {
		scheduler,
		async start() {
			await scheduler.start();
			await registry.start();
			await alerts.start();
		},
		async stop() {
			await alerts.stop();
			await scheduler.stop(5_000);
			await registry.stop();
		}
	};
}

// ---- statistics ---------------------------------------------------------------------

export type Summary = { n: number; p50: number; p99: number; max: number; mean: number };

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
	if (!sorted.length) return NaN;
	const rank = Math.ceil((p / 100) * sorted.length);
	return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(values: number[]): Summary {
	const sorted = [...values].sort((a, b) => a - b);
	const sum = sorted.reduce((s, v) => s + v, 0);
	return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, mean: sum / (sorted.length || 1) };
}

// ---- printing -----------------------------------------------------------------------

export const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

export function heading(title: string): void {
	console.log(`\n== ${title} ==`);
}

export function note(text: string): void {
	console.log(`   ${text}`);
}

/** Left-aligned first column, right-aligned others. */
export function table(rows: string[][]): void {
	const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
	for (const r of rows) console.log(`   ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`);
}

export type Check = { name: string; pass: boolean; detail: string };

export function check(name: string, pass: boolean, detail: string): Check {
	return { name, pass, detail };
}

// ---- runner -------------------------------------------------------------------------

/**
 * Runs a bench on a fresh database with a hard deadline, prints the verdicts, always stops
 * PostgreSQL and removes its temp dir. Exit code: 0, or 1 on FAIL with --strict, 2 on error.
 */
export async function runBench(title: string, body: (db: BenchDatabase) => Promise<Check[]>, deadlineMs = 170_000): Promise<never> {
	const strict = process.argv.includes('--strict');
	const started = Date.now();
	const load = () => os.loadavg().map((l) => fmt(l, 2)).join(' ');
	console.log(`${title} — node ${process.version}, ${os.cpus().length} CPUs, load ${load()}, ${new Date().toISOString()}`);
	const db = await startDatabase();
	console.log(`database: ${db.where}`);
	let closing: Promise<void> | undefined;
	const close = () => (closing ??= db.close().catch((err: unknown) => console.error('cleanup failed:', err)));
	const abort = (why: string) => {
		console.error(`\n${why}: stopping PostgreSQL and exiting`);
		void close().then(() => process.exit(2));
	};
	const watchdog = setTimeout(() => abort(`deadline of ${deadlineMs / 1000} s exceeded`), deadlineMs);
	watchdog.unref();
	process.once('SIGINT', () => abort('interrupted'));
	process.once('SIGTERM', () => abort('terminated'));
	let code = 0;
	try {
		const checks = await body(db);
		heading('verdict');
		for (const c of checks) console.log(`   ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
		if (strict && checks.some((c) => !c.pass)) code = 1;
	} catch (err) {
		console.error(err);
		code = 2;
	} finally {
		clearTimeout(watchdog);
		await close();
	}
	console.log(`\n(${fmt((Date.now() - started) / 1000)} s in all, load ${load()}${strict ? ', --strict' : ''})`);
	process.exit(code);
}
