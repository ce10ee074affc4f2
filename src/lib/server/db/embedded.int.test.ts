import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postmasterPid } from '../../../../tests/helpers/postgres-freeze';
import { startEmbedded } from './embedded';

/** Starts a separate process owning the embedded server, resolving with its port. */
function startOwner(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
	const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/embedded-owner.ts', dataDir], {
		stdio: ['ignore', 'pipe', 'inherit']
	});
	return new Promise((resolve, reject) => {
		createInterface({ input: child.stdout! }).once('line', (line) =>
			resolve({ child, port: (JSON.parse(line) as { port: number }).port })
		);
		child.once('exit', (code) => reject(new Error(`owner exited with ${code}`)));
	});
}

/** Is `pid` running? A zombie (an orphan that exited, not yet reaped by PID 1) is not. */
async function running(pid: number): Promise<boolean> {
	try {
		process.kill(pid, 0);
	} catch {
		return false;
	}
	const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
	return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** Polls until `pid` has stopped; how long that took, or null past `deadlineMs`. */
async function stoppedWithin(pid: number, deadlineMs: number): Promise<number | null> {
	const t0 = Date.now();
	while (Date.now() - t0 < deadlineMs) {
		if (!(await running(pid))) return Date.now() - t0;
		await new Promise((r) => setTimeout(r, 25));
	}
	return (await running(pid)) ? null : Date.now() - t0;
}

/** The watchdog process of the server in `dataDir` (its command line names the pid file). */
async function watchdogOf(dataDir: string): Promise<number> {
	const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
	for (const entry of await fs.readdir('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		const cmdline = (await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
		if (cmdline.includes('cronkit-pg-watchdog') && cmdline.includes(pidFile)) return Number(entry);
	}
	throw new Error(`no watchdog for ${dataDir}`);
}

const pgDir = (dataDir: string) => path.join(dataDir, 'postgres');

describe('embedded PostgreSQL lifecycle', () => {
	let dataDir: string;
	beforeAll(async () => {
		dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-embedded-'));
	});
	afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

	it('initialises, keeps data across restarts and refuses a second owner', async () => {
		const first = await startEmbedded({ dataDir, mode: 'own' });
		const sql = postgres(first.url, { max: 1 });
		await sql`create table kept (v text)`;
		await sql`insert into kept values ('still here')`;
		await sql.end();

		await expect(startEmbedded({ dataDir, mode: 'own' })).rejects.toThrow(/is in use by another Cronkit process/);
		// The CLI attaches to the running server instead.
		const attached = await startEmbedded({ dataDir, mode: 'attach' });
		expect(attached.owned).toBe(false);
		expect(attached.port).toBe(first.port);

		await first.stop();
		await expect(fs.access(path.join(dataDir, 'cronkit.lock'))).rejects.toThrow();

		const again = await startEmbedded({ dataDir, mode: 'own' });
		const sql2 = postgres(again.url, { max: 1 });
		expect(await sql2`select v from kept`).toEqual([{ v: 'still here' }]);
		await sql2.end();
		await again.stop();
	});

	it('the CLI (attach) warns when DATA_DIR has no database and it would work on a new, empty one', async () => {
		const other = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-embedded-other-'));
		const notices: string[] = [];
		try {
			const fresh = await startEmbedded({ dataDir: other, mode: 'attach', notice: (l) => notices.push(l) });
			await fresh.stop();
			expect(notices.join('\n')).toMatch(/warning: DATA_DIR .*cronkit-embedded-other-.* had no database, so this command uses a new, empty one; if the app runs with another DATA_DIR, set DATA_DIR to it/);
			// An existing one: no warning.
			notices.length = 0;
			await (await startEmbedded({ dataDir: other, mode: 'attach', notice: (l) => notices.push(l) })).stop();
			expect(notices.join('\n')).not.toMatch(/warning/);
		} finally {
			await fs.rm(other, { recursive: true, force: true });
		}
	});

	it('stops its server within 5 s of its owner being killed with SIGKILL; the next owner starts', async () => {
		const { child, port } = await startOwner(dataDir);
		const server = await postmasterPid(pgDir(dataDir));
		// The CLI's attach mode reaches the server of a live owner.
		const attached = await startEmbedded({ dataDir, mode: 'attach' });
		expect(attached).toMatchObject({ owned: false, port });
		const viaAttach = postgres(attached.url, { max: 1 });
		expect(await viaAttach`select v from kept`).toEqual([{ v: 'still here' }]);
		await viaAttach.end();

		child.kill('SIGKILL');
		await new Promise((r) => child.once('exit', r));
		expect(await stoppedWithin(server, 5_000), 'the orphaned server stopped within 5 s').not.toBeNull();

		const next = await startEmbedded({ dataDir, mode: 'own' });
		const sql = postgres(next.url, { max: 1 });
		expect(await sql`select v from kept`).toEqual([{ v: 'still here' }]);
		await sql.end();
		await next.stop();
	});

	it('recovers an orphaned server and a stale lock when the watchdog was killed too', async () => {
		const { child } = await startOwner(dataDir);
		const orphan = await postmasterPid(pgDir(dataDir));
		const watchdog = await watchdogOf(dataDir);
		process.kill(watchdog, 'SIGKILL');
		expect(await stoppedWithin(watchdog, 5_000)).not.toBeNull();
		child.kill('SIGKILL');
		await new Promise((r) => child.once('exit', r));
		expect(await running(orphan)).toBe(true); // nothing stopped it …

		const next = await startEmbedded({ dataDir, mode: 'own' });
		expect(await running(orphan)).toBe(false); // … until the next start did, and started afresh
		const sql = postgres(next.url, { max: 1 });
		expect(await sql`select v from kept`).toEqual([{ v: 'still here' }]);
		await sql.end();
		await next.stop();
	});

	it('leaves no server behind after SIGTERM', async () => {
		const { child } = await startOwner(dataDir);
		const pid = await postmasterPid(pgDir(dataDir));
		const watchdog = await watchdogOf(dataDir);
		child.kill('SIGTERM');
		const code = await new Promise((r) => child.once('exit', r));
		expect(code).toBe(0);
		expect(await running(pid)).toBe(false);
		// The watchdog saw the clean stop and left.
		expect(await stoppedWithin(watchdog, 5_000)).not.toBeNull();
	});

	it('names a DATA_DIR it cannot write', async () => {
		const blocked = path.join(dataDir, 'file-not-dir');
		await fs.writeFile(blocked, '');
		await expect(startEmbedded({ dataDir: path.join(blocked, 'x'), mode: 'own' })).rejects.toThrow(
			/DATA_DIR .*file-not-dir\/x is not writable/
		);
	});
});
