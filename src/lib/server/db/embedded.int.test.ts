import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

function postmasterPid(dataDir: string) {
	return fs.readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').then((t) => Number(t.split('\n')[0]));
}

function alive(pid: number) {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

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

	it('recovers after its owner was killed with SIGKILL', async () => {
		const { child } = await startOwner(dataDir);
		const orphan = await postmasterPid(dataDir);
		child.kill('SIGKILL');
		await new Promise((r) => child.once('exit', r));
		expect(alive(orphan)).toBe(true); // the server outlives its owner…

		const next = await startEmbedded({ dataDir, mode: 'own' });
		expect(alive(orphan)).toBe(false); // …until the next start stops it and starts afresh
		const sql = postgres(next.url, { max: 1 });
		expect(await sql`select v from kept`).toEqual([{ v: 'still here' }]);
		await sql.end();
		await next.stop();
	});

	it('leaves no server behind after SIGTERM', async () => {
		const { child } = await startOwner(dataDir);
		const pid = await postmasterPid(dataDir);
		child.kill('SIGTERM');
		const code = await new Promise((r) => child.once('exit', r));
		expect(code).toBe(0);
		expect(alive(pid)).toBe(false);
	});

	it('names a DATA_DIR it cannot write', async () => {
		const blocked = path.join(dataDir, 'file-not-dir');
		await fs.writeFile(blocked, '');
		await expect(startEmbedded({ dataDir: path.join(blocked, 'x'), mode: 'own' })).rejects.toThrow(
			/DATA_DIR .*file-not-dir\/x is not writable/
		);
	});
});
