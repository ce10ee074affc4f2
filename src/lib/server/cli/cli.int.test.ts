/**
 * The built CLI (README, "CLI") as an operator runs it: a child process on a real database.
 * It is built once into a private folder (not build/cli, which `npm run build` elsewhere may
 * wipe meanwhile), inside node_modules so its external imports resolve.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { spawnServer } from '../../../../tests/helpers/serve';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

type Result = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

let t: TestDatabase;
let outDir: string;

function env(databaseUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	const e: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', DATA_DIR: outDir, ...extra };
	for (const k of ['CRON_ROLE', 'PORT', 'HOST', 'INSTANCE_ID']) if (!(k in extra)) delete e[k];
	return e;
}

function start(args: string[], extra: Record<string, string> = {}, databaseUrl = t.url) {
	return spawn(process.execPath, [path.join(outDir, 'main.js'), ...args], { cwd: root, env: env(databaseUrl, extra) });
}

function finished(child: ReturnType<typeof start>): Promise<Result> {
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
	child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
	return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

const cli = (args: string[], databaseUrl?: string) => finished(start(args, {}, databaseUrl));

beforeAll(async () => {
	t = await createTestDatabase();
	const cache = path.join(root, 'node_modules/.cache');
	await fs.mkdir(cache, { recursive: true });
	outDir = await fs.mkdtemp(path.join(cache, 'cronkit-cli-test-'));
	execFileSync(
		process.execPath,
		[path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.cli.config.ts', '--logLevel', 'warn', '--outDir', outDir],
		{ cwd: root, stdio: ['ignore', 'ignore', 'inherit'] }
	);
});

afterAll(async () => {
	await t?.drop();
	if (outDir) await fs.rm(outDir, { recursive: true, force: true });
});

describe('cron CLI', () => {
	it('prints usage for --help, and exits 2 on an unknown command or a missing argument', async () => {
		const help = await cli(['--help']);
		expect(help.code).toBe(0);
		expect(help.stdout).toMatch(/^Usage: npx cronkit <command> \[options\] {3}\(or: npm run -s cron -- <command> \[options\]\)\n/);
		for (const cmd of ['worker', 'jobs', 'run <key>', 'trigger <key>', 'migrate']) expect(help.stdout).toContain(`  ${cmd}`);

		const unknown = await cli(['frobnicate']);
		expect(unknown.code).toBe(2);
		expect(unknown.stderr).toMatch(/^cronkit: unknown command "frobnicate"\n\nUsage:/);

		const missing = await cli(['run']);
		expect(missing).toMatchObject({ code: 2, stderr: 'cronkit: run: missing <key> (see --help)\n' });
	});

	it('migrate reports what it applied', async () => {
		const upToDate = await cli(['migrate']);
		expect(upToDate).toMatchObject({ code: 0, stderr: '' });
		expect(upToDate.stdout).toBe('no pending migrations; the database is up to date\n');

		// An empty database gets every committed migration.
		const journal = JSON.parse(await fs.readFile(path.join(root, 'drizzle/meta/_journal.json'), 'utf8')) as { entries: unknown[] };
		const admin = postgres(inject('pgAdminUrl'), { max: 1, onnotice: () => {} });
		const name = `cli_empty_${process.pid}`;
		await admin.unsafe(`create database ${name}`);
		try {
			const url = new URL(inject('pgAdminUrl'));
			url.pathname = `/${name}`;
			const fresh = await cli(['migrate'], url.toString());
			const n = journal.entries.length;
			expect(fresh).toMatchObject({ code: 0, stderr: '' });
			expect(fresh.stdout).toBe(`applied ${n} migration${n === 1 ? '' : 's'}; the database is up to date\n`);
		} finally {
			await admin.unsafe(`drop database if exists ${name} with (force)`);
			await admin.end();
		}
	});

	it('jobs lists the code jobs with their schedules and next runs', async () => {
		const table = await cli(['jobs']);
		expect(table).toMatchObject({ code: 0, stderr: '' });
		const [header, ...rows] = table.stdout.trimEnd().split('\n');
		expect(header).toMatch(/^KEY\s+ENABLED\s+SCHEDULE\s+ZONE\s+STATE\s+LAST RUN\s+NEXT RUN$/);
		const prune = rows.find((r) => r.startsWith('prune-executions '));
		expect(prune).toMatch(/ yes +daily \(At 00:00\) +UTC +idle +never +\d{4}-\d\d-\d\dT00:00:00Z \(in \d+ (h|min|s)\)$/);
		// Columns line up: NEXT RUN starts at the same offset on every line.
		expect(prune!.search(/\d{4}-\d\d-\d\dT/)).toBe(header!.indexOf('NEXT RUN'));

		const json = await cli(['jobs', '--json']);
		expect(json.code).toBe(0);
		const { jobs } = JSON.parse(json.stdout) as { jobs: { key: string; nextRunAt: string | null; state: string }[] };
		const job = jobs.find((j) => j.key === 'prune-executions');
		expect(job).toMatchObject({ state: 'idle' });
		expect(new Date(job!.nextRunAt!).getTime()).toBeGreaterThan(Date.now());
	});

	it('run executes a job here, prints its output and exits 0 on success', async () => {
		const r = await cli(['run', 'prune-executions']);
		expect(r).toMatchObject({ code: 0, stderr: '' });
		expect(r.stdout).toMatch(/^deleted 0 runs older than 30 days\nrun (\d+) of prune-executions succeeded in \d+ ms: deleted 0 runs\n$/);
		const id = Number(/run (\d+)/.exec(r.stdout)![1]);
		const [row] = await t.sql`select status, trigger, triggered_by as "triggeredBy", output from cron_job_execution where id = ${id}`;
		expect(row).toMatchObject({ status: 'succeeded', trigger: 'manual', triggeredBy: 'cli', output: 'deleted 0 runs older than 30 days\n' });
	});

	it('run of an unknown job is one line and exit 1', async () => {
		const r = await cli(['run', 'nope']);
		expect(r.code).toBe(1);
		expect(r.stdout).toBe('');
		expect(r.stderr).toBe('cronkit: no job "nope" (list them with: npm run cron -- jobs)\n');
	});

	it('trigger queues a run for the workers and prints its id', async () => {
		const r = await cli(['trigger', 'prune-executions']);
		expect(r).toMatchObject({ code: 0, stderr: '' });
		const id = Number(/^queued run (\d+) of prune-executions\n$/.exec(r.stdout)?.[1]);
		const [row] = await t.sql`select status, trigger, triggered_by as "triggeredBy" from cron_job_execution where id = ${id}`;
		expect(row).toMatchObject({ status: 'queued', trigger: 'manual', triggeredBy: 'cli' });
	});

	it('worker serves only /healthz and /metrics and exits 0 on SIGTERM', async () => {
		const { child, url: base, healthz } = await spawnServer((port) => start(['worker'], { PORT: String(port), HOST: '127.0.0.1' }), 20_000);
		const done = finished(child);
		expect(await healthz.json()).toMatchObject({ status: 'ok', db: 'up', role: 'worker', scheduler: { running: true }, workers: { live: 1 } });
		const [registered] = await t.sql`select role, stopped_at as "stoppedAt" from cron_instance where pid = ${child.pid!}`;
		expect(registered).toEqual({ role: 'worker', stoppedAt: null });

		const metrics = await fetch(`${base}/metrics`);
		expect(metrics.status).toBe(200);
		expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
		const text = await metrics.text();
		expect(text).toContain('# TYPE cronkit_runs_total counter');
		expect(text).toMatch(/^cronkit_queue_depth \d+$/m);
		expect(text).toMatch(/^cronkit_workers_live 1$/m);
		expect(text).toMatch(/^cronkit_clock_offset_seconds -?\d/m);

		for (const p of ['/', '/admin/cron', '/api/cron/jobs']) {
			const res = await fetch(`${base}${p}`);
			expect(res.status).toBe(404);
			expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
		}

		const stopAt = Date.now();
		child.kill('SIGTERM');
		const r = await done;
		expect(r).toMatchObject({ code: 0, signal: null });
		expect(Date.now() - stopAt).toBeLessThan(5_000);
		expect(r.stderr).toBe('');
		// A clean stop says so in the registry: no longer counted as a live worker.
		const [stopped] = await t.sql`select stopped_at is not null as stopped from cron_instance where pid = ${child.pid!}`;
		expect(stopped).toEqual({ stopped: true });
	});
});
