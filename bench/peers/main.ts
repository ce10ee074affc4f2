/**
 * Cronkit side by side with pg-boss 12 and Graphile Worker 0.18: one embedded PostgreSQL (the
 * app's binaries and settings), a fresh database and a fresh Node 22 process per trial,
 * systems interleaved round by round. Three tables (queue, cron precision, idle), each with
 * medians, min–max over rounds, ratios to Cronkit and the load average; `--profile` instead
 * measures where the queue path's time goes (see README.md beside this file).
 *
 *   npm run bench:peers [-- --rounds N --quick --only queue,cron,idle --systems cronkit,pg-boss,…
 *                          --jobs N --window S --warmup S --schedules N --profile]
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { startEmbedded, type EmbeddedServer } from '../../src/lib/server/db/embedded';
import { APP_NODE_FLAGS } from '../app-process';
import { fmt, heading, note, percentile, table } from '../lib';
import { sleep, sleepUntil } from '../time';
import { profileQueue } from './profile';
import { childrenCpuMs, memoryOf, parentOf, processCpuMs, serverCpuMs } from './proc';
import { BENCH_ROLE, SYSTEMS, type CronResult, type FromTrial, type IdleResult, type Kept, type QueueResult, type SystemId, type TrialSpec } from './protocol';

// ---- options ------------------------------------------------------------------------

function flag(name: string): boolean {
	return process.argv.includes(`--${name}`);
}

function option(name: string): string | undefined {
	const i = process.argv.indexOf(`--${name}`);
	return i >= 0 ? process.argv[i + 1] : undefined;
}

function count(name: string, fallback: number, min: number, max: number): number {
	const raw = option(name);
	if (raw === undefined) return fallback;
	const v = Number(raw);
	if (!Number.isInteger(v) || v < min || v > max) {
		console.error(`--${name} must be an integer from ${min} to ${max} (got ${raw})`);
		process.exit(2);
	}
	return v;
}

const quick = flag('quick');
const ROUNDS = count('rounds', quick ? 1 : 3, 1, 20);
const JOBS = count('jobs', quick ? 5_000 : 20_000, 100, 1_000_000);
const WINDOW_S = count('window', quick ? 20 : 60, 5, 600);
/** Seconds from every idle trial's "ready" to its window. */
const WARMUP_S = count('warmup', 10, 0, 600);
const SCHEDULES = count('schedules', 1_000, 1, 10_000);
const CRON_JOBS = 200;
const POOL = 20;
const IN_FLIGHT = [50, 200];
const TABLES = new Set((option('only') ?? 'queue,cron,idle').split(','));
for (const t of TABLES) {
	if (!['queue', 'cron', 'idle'].includes(t)) {
		console.error(`--only: unknown table "${t}" (queue, cron, idle)`);
		process.exit(2);
	}
}
const PROFILE = flag('profile');
/** The whole run stops (and cleans up) past this. */
const RUN_LIMIT_MS = 45 * 60_000;
const ROOT = process.cwd();
const TRIAL = path.join(import.meta.dirname, 'trial.mjs');

const CHOSEN = (option('systems') ?? Object.keys(SYSTEMS).join(',')).split(',');
for (const s of CHOSEN) {
	if (!(s in SYSTEMS)) {
		console.error(`--systems: unknown system "${s}" (known: ${Object.keys(SYSTEMS).join(', ')})`);
		process.exit(2);
	}
}
const chosen = (list: SystemId[]) => list.filter((s) => CHOSEN.includes(s));
const QUEUE_SYSTEMS = chosen(['cronkit', 'pg-boss', 'graphile-batched', 'graphile']);
const CRON_SYSTEMS = chosen(['cronkit', 'graphile-batched', 'pg-boss', 'pg-boss-1s']);
const IDLE_SYSTEMS = chosen(['cronkit', 'pg-boss', 'graphile-batched', 'graphile']);

// ---- statistics and printing --------------------------------------------------------

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

/** `median (min–max)` of the rounds' values. */
function spread(xs: number[], digits = 0): string {
	const ok = xs.filter(Number.isFinite);
	if (!ok.length) return 'n/a';
	const m = median(ok);
	return ok.length === 1 ? fmt(m, digits) : `${fmt(m, digits)} (${fmt(Math.min(...ok), digits)}–${fmt(Math.max(...ok), digits)})`;
}

const ratio = (x: number, of: number) => (Number.isFinite(x) && Number.isFinite(of) && of > 0 ? `${fmt(x / of, 2)}×` : 'n/a');
const load = () =>
	os
		.loadavg()
		.map((l) => fmt(l, 2))
		.join(' ');
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MB`;

/** The first line of an error, for a one-line note (the trial printed the rest to stderr). */
const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

function keptNote(label: string, kept: Kept | undefined): void {
	if (kept) note(`${label}: ${kept.rows}; ${mb(kept.bytes)} of tables and indexes`);
}

// ---- server, databases, trial processes ---------------------------------------------

type Server = { admin: Sql; url: string; postmaster: number; embedded: EmbeddedServer; dataDir: string };

async function startServer(): Promise<Server> {
	const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-peers-'));
	try {
		// The app's server settings (embedded.ts); the profile also loads pg_stat_statements.
		const settings: Record<string, string> = PROFILE
			? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all', 'pg_stat_statements.track_planning': 'on' }
			: {};
		const embedded = await startEmbedded({ dataDir, mode: 'own', settings });
		const admin = postgres(embedded.url, { max: 1, onnotice: () => {} });
		const [{ pid }] = await admin<[{ pid: number }]>`select pg_backend_pid() as pid`;
		await admin.unsafe(`create role ${BENCH_ROLE} superuser nologin`);
		return { admin, url: embedded.url, postmaster: parentOf(pid), embedded, dataDir };
	} catch (err) {
		await fs.rm(dataDir, { recursive: true, force: true });
		throw err;
	}
}

let server: Server | undefined;
let databases = 0;
const children = new Set<ChildProcess>();

type Database = { name: string; url: string; drop(): Promise<void> };

async function freshDatabase(): Promise<Database> {
	const s = server!;
	const name = `trial_${++databases}`;
	await s.admin.unsafe(`create database ${name}`);
	const u = new URL(s.url);
	u.pathname = `/${name}`;
	return { name, url: u.toString(), drop: async () => void (await s.admin.unsafe(`drop database if exists ${name} with (force)`)) };
}

type Trial = {
	pid: number;
	/** Resolves when the trial says it is set up (cron, idle). */
	ready: Promise<void>;
	/** Its result message. */
	result: Promise<FromTrial>;
	/** Resolves once the process has exited. */
	exited: Promise<void>;
	stop(): void;
};

function startTrial(spec: TrialSpec, execArgv: string[] = []): Trial {
	if (spec.system === 'cronkit') execArgv = [...APP_NODE_FLAGS, ...execArgv];
	const child = fork(TRIAL, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
	children.add(child);
	const exited = new Promise<void>((r) => child.once('exit', () => r()));
	void exited.then(() => children.delete(child));
	let onReady: () => void = () => {};
	const ready = new Promise<void>((resolve, reject) => {
		onReady = resolve;
		void exited.then(() => reject(new Error(`${spec.system} exited before it was ready`)));
	});
	const result = new Promise<FromTrial>((resolve, reject) => {
		child.on('message', (m: FromTrial) => {
			if (m.type === 'ready') onReady();
			else if (m.type === 'error') reject(new Error(`${spec.kind} trial of ${spec.system} failed: ${m.message}`));
			else resolve(m);
		});
		void exited.then(() => reject(new Error(`${spec.kind} trial of ${spec.system} exited without a result`)));
	});
	// Handled by whoever awaits them; never an unhandled rejection in between.
	ready.catch(() => {});
	result.catch(() => {});
	// The trial exits by itself at its deadline; this is the backstop.
	const killer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, spec.deadline - Date.now()) + 20_000);
	void exited.then(() => clearTimeout(killer));
	child.send({ type: 'spec', spec });
	return { pid: child.pid!, ready, result, exited, stop: () => child.connected && child.send({ type: 'stop' }) };
}

// ---- queue ----------------------------------------------------------------------------

type QueueRow = { system: SystemId; inFlight: number; runs: QueueResult[] };

async function queueTrial(system: SystemId, inFlight: number, opts: { profile?: boolean; cronkitJobs?: number } = {}): Promise<QueueResult> {
	const db = await freshDatabase();
	try {
		const spec: TrialSpec = {
			kind: 'queue',
			system,
			url: db.url,
			root: ROOT,
			deadline: Date.now() + 60_000 + JOBS * 3,
			postmaster: server!.postmaster,
			jobs: JOBS,
			inFlight,
			pool: POOL,
			countNotifies: opts.profile ?? false,
			profile: opts.profile ?? false,
			cronkitJobs: opts.cronkitJobs ?? 50
		};
		const trial = startTrial(spec, opts.profile && system === 'cronkit' ? profileArgs() : []);
		const msg = await trial.result;
		await trial.exited;
		if (msg.type !== 'queue') throw new Error(`unexpected ${msg.type} from a queue trial`);
		return msg.result;
	} finally {
		await db.drop();
	}
}

let profileDir = '';
const profileArgs = () => ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];

async function queueTable(): Promise<void> {
	heading(`queue: ${JOBS} no-op jobs queued before the clock starts; ${IN_FLIGHT.join(' and ')} in flight, pool ${POOL}; ${ROUNDS} rounds`);
	note(`load average at start: ${load()}`);
	const configs = IN_FLIGHT.flatMap((inFlight) => QUEUE_SYSTEMS.map((system) => ({ system, inFlight })));
	const rows: QueueRow[] = configs.map((c) => ({ ...c, runs: [] }));
	const failures: string[] = [];
	for (let r = 0; r < ROUNDS; r++) {
		// Interleaved: each round starts one configuration further along.
		const order = configs.map((_, i) => rows[(i + r) % rows.length]!);
		const line: string[] = [];
		for (const row of order) {
			let res: QueueResult;
			try {
				res = await queueTrial(row.system, row.inFlight);
			} catch (err) {
				failures.push(`${row.system}@${row.inFlight} in round ${r + 1}: ${firstLine(err)}`);
				line.push(`${row.system}@${row.inFlight} failed`);
				continue;
			}
			row.runs.push(res);
			line.push(`${row.system}@${row.inFlight} ${fmt((res.done * 1000) / res.ms, 0)}/s`);
		}
		note(`round ${r + 1}: ${line.join(', ')} (load ${load()})`);
	}
	for (const inFlight of IN_FLIGHT) {
		const mine = rows.filter((r) => r.inFlight === inFlight);
		const rps = (q: QueueResult) => (q.done === JOBS ? (q.done * 1000) / q.ms : NaN);
		const cpu = (q: QueueResult, part: 'all' | 'pg' | 'node') =>
			((part === 'pg' ? q.pgCpuMs : part === 'node' ? q.nodeCpuMs : q.pgCpuMs + q.nodeCpuMs) / 1000 / q.done) * 1000;
		const ck = mine.find((r) => r.system === 'cronkit');
		const ckRps = ck ? median(ck.runs.map(rps)) : NaN;
		const ckCpu = ck ? median(ck.runs.map((q) => cpu(q, 'all'))) : NaN;
		console.log(`\n   ${inFlight} in flight (median of ${ROUNDS}, min–max); CPU in seconds per 1,000 jobs; ratios: Cronkit ÷ peer`);
		table([
			['', 'jobs/s', 'steady jobs/s', 'CPU s/1k (PG + Node)', 'PG', 'Node', 'WAL KB/1k', 'Cronkit jobs/s ÷', 'Cronkit CPU ÷'],
			...mine.map((row) => {
				const r = median(row.runs.map(rps));
				const c = median(row.runs.map((q) => cpu(q, 'all')));
				return [
					SYSTEMS[row.system],
					spread(row.runs.map(rps)),
					spread(row.runs.map((q) => q.steadyRps)),
					spread(
						row.runs.map((q) => cpu(q, 'all')),
						3
					),
					fmt(median(row.runs.map((q) => cpu(q, 'pg'))), 3),
					fmt(median(row.runs.map((q) => cpu(q, 'node'))), 3),
					fmt(median(row.runs.map((q) => q.walBytes / q.done)), 0),
					row.system === 'cronkit' ? '' : ratio(ckRps, r),
					row.system === 'cronkit' ? '' : ratio(ckCpu, c)
				];
			})
		]);
	}
	const boot = rows.filter((r) => r.system === 'cronkit').flatMap((r) => r.runs.map((q) => q.firstMs));
	if (boot.length) note(`Cronkit's window includes start() (sync, load and arm the jobs, catch-up): first handler after ${spread(boot, 0)} ms`);
	const incomplete = rows.flatMap((r) => r.runs.filter((q) => q.done !== JOBS).map((q) => `${r.system}@${r.inFlight}: ${q.done}/${JOBS} done`));
	for (const f of [...failures, ...incomplete]) note(`left out of the medians: ${f}`);
	note('kept afterwards (last trial of each):');
	for (const system of QUEUE_SYSTEMS) keptNote(`  ${SYSTEMS[system]}`, rows.filter((r) => r.system === system).at(-1)?.runs.at(-1)?.kept);
	note(`load average at end: ${load()}`);
}

// ---- cron precision ------------------------------------------------------------------

const LEAD_MS = 20_000;

type CronTrial = CronResult & { system: SystemId; readyLeadMs: number };

/** One cron trial; a failure is recorded as a trial with no handler starts (and said why). */
async function cronTrial(system: SystemId, at: number, deadline: number): Promise<CronTrial> {
	const db = await freshDatabase();
	try {
		const trial = startTrial({ kind: 'cron', system, url: db.url, root: ROOT, deadline, at, jobs: CRON_JOBS });
		await trial.ready;
		const readyLeadMs = at - Date.now();
		const msg = await trial.result;
		await trial.exited;
		if (msg.type !== 'cron') throw new Error(`unexpected ${msg.type} from a cron trial`);
		return { ...msg.result, system, readyLeadMs };
	} catch (err) {
		return { system, lags: [], early: 0, bootMs: NaN, readyLeadMs: NaN, detail: `failed: ${firstLine(err)}` };
	} finally {
		await db.drop();
	}
}

async function cronTable(): Promise<void> {
	heading(`cron precision: ${CRON_JOBS} schedules due at one instant, handler start − instant; ${ROUNDS} rounds`);
	note(`load average at start: ${load()}`);
	note('each round: Graphile Worker at a minute boundary, Cronkit at the half minute after it (alone: its');
	note('handlers start within milliseconds), then both pg-boss configurations together at the next minute boundary');
	const trials: CronTrial[] = [];
	let at = Math.ceil((Date.now() + LEAD_MS + 10_000) / 60_000) * 60_000;
	let pgBoss: Promise<CronTrial[]> | null = null;
	for (let r = 0; r < ROUNDS; r++) {
		await sleepUntil(at - LEAD_MS);
		const graphile = CRON_SYSTEMS.includes('graphile-batched') ? cronTrial('graphile-batched', at, at + 8_000) : null;
		// The previous round's pg-boss trials end 5 s before this instant at the latest.
		if (pgBoss) trials.push(...(await pgBoss));
		if (graphile) trials.push(await graphile);
		if (CRON_SYSTEMS.includes('cronkit')) trials.push(await cronTrial('cronkit', at + 30_000, at + 38_000));
		pgBoss = Promise.all(chosen(['pg-boss', 'pg-boss-1s']).map((s) => cronTrial(s, at + 60_000, at + 115_000)));
		// Its tail may overlap the next round's set-up, never the next instant.
		pgBoss.catch(() => {});
		note(`round ${r + 1}: instants ${new Date(at).toISOString().slice(11, 19)}, +30 s, +60 s (load ${load()})`);
		at += 120_000;
	}
	if (pgBoss) trials.push(...(await pgBoss));
	const by = (s: SystemId) => trials.filter((t) => t.system === s);
	const pooled = (s: SystemId) => [...by(s).flatMap((t) => t.lags)].sort((a, b) => a - b);
	const ck = pooled('cronkit');
	const ckP50 = percentile(ck, 50);
	const ckP99 = percentile(ck, 99);
	console.log(`\n   ms from the instant to handler start; all rounds pooled, and per round median (min–max); ratios: peer ÷ Cronkit`);
	table([
		['', 'started', 'p50', 'p99', 'max', 'p50 per round', 'p99 per round', 'p50 ÷ Cronkit', 'p99 ÷ Cronkit'],
		...CRON_SYSTEMS.map((s) => {
			const all = pooled(s);
			const runs = by(s);
			return [
				SYSTEMS[s],
				`${all.length}/${CRON_JOBS * runs.length}`,
				fmt(percentile(all, 50), 1),
				fmt(percentile(all, 99), 1),
				fmt(all.at(-1) ?? NaN, 1),
				spread(
					runs.map((t) => percentile([...t.lags].sort((a, b) => a - b), 50)),
					1
				),
				spread(
					runs.map((t) => percentile([...t.lags].sort((a, b) => a - b), 99)),
					1
				),
				s === 'cronkit' ? '' : ratio(percentile(all, 50), ckP50),
				s === 'cronkit' ? '' : ratio(percentile(all, 99), ckP99)
			];
		})
	]);
	for (const s of CRON_SYSTEMS) {
		const runs = by(s);
		const early = runs.reduce((n, t) => n + t.early, 0);
		note(`${SYSTEMS[s]}: ready ${spread(runs.map((t) => t.readyLeadMs / 1000), 1)} s before the instant; ${early} handlers started before it`);
		for (const t of runs) if (t.detail) note(`  ${t.detail}`);
	}
	note('pg-boss trials stop 55 s after the instant: jobs not started by then are missing from "started"');
	note(`load average at end: ${load()}`);
}

// ---- idle ---------------------------------------------------------------------------

type IdleSample = { t: number; cpu: Map<SystemId, number>; rss: Map<SystemId, number>; pg: Map<number, { db: string; cpu: number }>; server: number };

type IdleRound = Map<SystemId, { cpuPct: number; pgPct: number; rssMb: number; peakMb: number; kept: Kept }>;

/** One window: every system at once, each in its own process and database. */
async function idleRound(): Promise<{ round: IdleRound; serverPct: number }> {
	const s = server!;
	const dbs = new Map<SystemId, Database>();
	const trials = new Map<SystemId, Trial>();
	try {
		for (const system of IDLE_SYSTEMS) dbs.set(system, await freshDatabase());
		const deadline = Date.now() + (WARMUP_S + WINDOW_S + 180) * 1000;
		for (const system of IDLE_SYSTEMS) {
			trials.set(system, startTrial({ kind: 'idle', system, url: dbs.get(system)!.url, root: ROOT, deadline, schedules: SCHEDULES }));
		}
		await Promise.all([...trials.values()].map((t) => t.ready));
		// Start-up work (catch-up, first polls, JIT) is over before the window opens.
		await sleep(WARMUP_S * 1000);
		const sample = async (): Promise<IdleSample> => {
			const backends = await s.admin<{ pid: number; datname: string }[]>`
				select pid, datname from pg_stat_activity where datname like 'trial\\_%'`;
			const cpuOf = childrenCpuMs(s.postmaster);
			const pg = new Map(backends.filter((b) => cpuOf.has(b.pid)).map((b) => [b.pid, { db: b.datname, cpu: cpuOf.get(b.pid)! }]));
			return {
				t: performance.now(),
				cpu: new Map([...trials].map(([system, t]) => [system, processCpuMs(t.pid)])),
				rss: new Map([...trials].map(([system, t]) => [system, memoryOf(t.pid).rssMb])),
				pg,
				server: serverCpuMs(s.postmaster)
			};
		};
		const samples: IdleSample[] = [await sample()];
		const end = performance.now() + WINDOW_S * 1000;
		while (performance.now() < end) {
			await sleep(Math.min(1_000, end - performance.now()));
			samples.push(await sample());
		}
		const first = samples[0]!;
		const last = samples.at(-1)!;
		const seconds = (last.t - first.t) / 1000;
		// Backend CPU per database: growth of each backend while seen (one that appeared in the
		// window counts from zero; one that closed loses at most its last second).
		const pgMs = new Map<string, number>();
		const seen = new Map<number, { db: string; from: number; to: number }>();
		for (const [i, smp] of samples.entries()) {
			for (const [pid, b] of smp.pg) {
				const had = seen.get(pid);
				if (had) had.to = b.cpu;
				else seen.set(pid, { db: b.db, from: i === 0 ? b.cpu : 0, to: b.cpu });
			}
		}
		for (const b of seen.values()) pgMs.set(b.db, (pgMs.get(b.db) ?? 0) + b.to - b.from);
		const round: IdleRound = new Map();
		for (const [system, t] of trials) {
			const rss = samples.map((x) => x.rss.get(system)!).sort((a, b) => a - b);
			const peakMb = memoryOf(t.pid).peakMb;
			round.set(system, {
				cpuPct: ((last.cpu.get(system)! - first.cpu.get(system)!) / 10 / seconds) * 1,
				pgPct: (pgMs.get(dbs.get(system)!.name) ?? 0) / 10 / seconds,
				rssMb: percentile(rss, 50),
				peakMb,
				kept: { rows: '', bytes: 0 }
			});
		}
		for (const [system, t] of trials) {
			t.stop();
			const msg = await t.result;
			if (msg.type === 'idle') round.get(system)!.kept = (msg.result as IdleResult).kept;
			await t.exited;
		}
		return { round, serverPct: (last.server - first.server) / 10 / seconds };
	} finally {
		for (const t of trials.values()) t.stop();
		await Promise.all([...trials.values()].map((t) => Promise.race([t.exited, sleep(10_000)])));
		for (const db of dbs.values()) await db.drop();
	}
}

async function idleTable(): Promise<void> {
	heading(`idle: ${SCHEDULES} schedules, none due; ${WINDOW_S} s windows from ${WARMUP_S} s after start-up, all systems in the same window; ${ROUNDS} rounds`);
	note(`load average at start: ${load()}`);
	const rounds: IdleRound[] = [];
	const serverPct: number[] = [];
	for (let r = 0; r < ROUNDS; r++) {
		let res: Awaited<ReturnType<typeof idleRound>>;
		try {
			res = await idleRound();
		} catch (err) {
			note(`round ${r + 1} failed: ${firstLine(err)}`);
			continue;
		}
		rounds.push(res.round);
		serverPct.push(res.serverPct);
		note(`round ${r + 1}: ${IDLE_SYSTEMS.map((s) => `${s} ${fmt(res.round.get(s)!.cpuPct, 2)}%`).join(', ')} (load ${load()})`);
	}
	const vals = (s: SystemId, k: 'cpuPct' | 'pgPct' | 'rssMb' | 'peakMb') => rounds.map((r) => r.get(s)?.[k] ?? NaN);
	const ck = (k: 'cpuPct' | 'rssMb' | 'peakMb') => median(vals('cronkit', k));
	console.log(`\n   worker process CPU in % of one core; PostgreSQL: its backends for that database; RSS in MB: median over the window, peak (VmHWM) since start; ratios: Cronkit ÷ peer`);
	table([
		['', 'worker CPU %', 'PG backends %', 'RSS MB', 'peak RSS MB', 'Cronkit CPU ÷', 'Cronkit RSS ÷'],
		...IDLE_SYSTEMS.map((s) => [
			SYSTEMS[s],
			spread(vals(s, 'cpuPct'), 2),
			spread(vals(s, 'pgPct'), 2),
			spread(vals(s, 'rssMb'), 0),
			spread(vals(s, 'peakMb'), 0),
			s === 'cronkit' ? '' : ratio(ck('cpuPct'), median(vals(s, 'cpuPct'))),
			s === 'cronkit' ? '' : ratio(ck('rssMb'), median(vals(s, 'rssMb')))
		])
	]);
	note(`whole PostgreSQL server during the windows (all four systems and its own processes): ${spread(serverPct, 2)} % of one core`);
	note('Graphile Worker, defaults: concurrency 1, pool 10; the others as in the cron table (Cronkit concurrency 100, pool 20;');
	note('pg-boss one worker × batchSize 50, pool 20; Graphile batched concurrency 50, pool 20). Cronkit runs its Scheduler,');
	note('instance registry and alerts, as a worker process does. Every process also holds the bench\'s own connection (postgres.js).');
	note('kept afterwards (last round):');
	for (const s of IDLE_SYSTEMS) keptNote(`  ${SYSTEMS[s]}`, rounds.at(-1)?.get(s)?.kept);
	note(`load average at end: ${load()}`);
}

// ---- run ----------------------------------------------------------------------------

async function cleanup(): Promise<void> {
	for (const c of children) c.kill('SIGKILL');
	const s = server;
	server = undefined;
	if (!s) return;
	await s.admin.end({ timeout: 2 }).catch(() => undefined);
	await s.embedded.stop().catch((err: unknown) => console.error('stopping PostgreSQL failed:', err));
	await fs.rm(s.dataDir, { recursive: true, force: true });
	if (profileDir) await fs.rm(profileDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
	const started = Date.now();
	console.log(
		`bench:peers — node ${process.version}, ${os.cpus().length} CPUs, load ${load()}, ${new Date().toISOString()}${quick ? ', --quick' : ''}`
	);
	server = await startServer();
	const [{ version }] = await server.admin<[{ version: string }]>`select current_setting('server_version') as version`;
	console.log(`PostgreSQL ${version} (embedded, the app's settings${PROFILE ? ' + pg_stat_statements' : ''}), one fresh database per trial`);
	if (PROFILE) {
		profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-peers-prof-'));
		await profileQueue({ jobs: JOBS, systems: CHOSEN, queueTrial, profileDir });
	} else {
		if (TABLES.has('queue')) await queueTable();
		if (TABLES.has('cron')) await cronTable();
		if (TABLES.has('idle')) await idleTable();
	}
	console.log(`\n(${fmt((Date.now() - started) / 1000, 0)} s in all, load ${load()})`);
}

const limit = setTimeout(() => {
	console.error(`\nrun limit of ${RUN_LIMIT_MS / 60_000} min exceeded: stopping`);
	void cleanup().then(() => process.exit(2));
}, RUN_LIMIT_MS);
limit.unref();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
	process.once(sig, () => {
		console.error(`\n${sig}: stopping the trials and PostgreSQL`);
		void cleanup().then(() => process.exit(2));
	});
}

let code = 0;
try {
	await main();
} catch (err) {
	console.error(err);
	code = 2;
} finally {
	await cleanup();
}
process.exit(code);
