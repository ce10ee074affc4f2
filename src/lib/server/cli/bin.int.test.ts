/**
 * `npx cronkit` (package.json's `bin`, scripts/cron.js) as an operator runs it: a real child
 * process, through npx and through the bin's path from another folder, on a real database. Its
 * stdout is the command's output alone (no npm banner), so `npx cronkit jobs --json | jq` works.
 * It runs the project's built CLI (build/cli, built first when stale, as `npm run cron` does).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

let t: TestDatabase;
let dataDir: string;

beforeAll(async () => {
	t = await createTestDatabase();
	dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-bin-test-'));
});
afterAll(async () => {
	await t?.drop();
	if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
	const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: t.url, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
	for (const k of ['CRON_ROLE', 'PORT', 'HOST', 'INSTANCE_ID']) delete env[k];
	const child = spawn(command, args, { cwd, env });
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
	child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
	return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

type Jobs = { jobs: { key: string; source: string }[] };

describe('npx cronkit', () => {
	// A stale build is rebuilt first (a minute or two on a busy machine).
	it('`npx --no-install cronkit jobs --json` prints the jobs as JSON and nothing else on stdout', { timeout: 300_000 }, async () => {
		const r = await run('npx', ['--no-install', 'cronkit', 'jobs', '--json'], root);
		expect(r.code, r.stderr).toBe(0);
		const out = JSON.parse(r.stdout) as Jobs;
		expect(out.jobs.map((j) => j.key)).toContain('email-retry');
		expect(out.jobs.find((j) => j.key === 'email-retry')?.source).toBe('code');
	});

	it('runs the same from another folder through the bin path, as `npm run cron` would from the project', { timeout: 300_000 }, async () => {
		const elsewhere = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-bin-cwd-'));
		try {
			const r = await run(path.join(root, 'scripts/cron.js'), ['jobs', '--json'], elsewhere);
			expect(r.code, r.stderr).toBe(0);
			expect((JSON.parse(r.stdout) as Jobs).jobs.map((j) => j.key)).toContain('email-retry');
			const help = await run(path.join(root, 'scripts/cron.js'), ['--help'], elsewhere);
			expect(help.code).toBe(0);
			expect(help.stdout).toMatch(/^Usage: npx cronkit <command>/);
			const bad = await run(path.join(root, 'scripts/cron.js'), ['frobnicate'], elsewhere);
			expect(bad.code).toBe(2);
			expect(bad.stdout).toBe('');
		} finally {
			await fs.rm(elsewhere, { recursive: true, force: true });
		}
	});
});
