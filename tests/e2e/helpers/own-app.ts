/**
 * A second copy of the built app, started as `npm start` runs it (scripts/start.js →
 * scripts/server.js) on its own DATA_DIR and embedded database, for tests that need their own
 * configuration (an egress policy, a trusted address header) or that change global state (the
 * fuzz). Its first admin is the suite's ADMIN.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnServer } from '../../helpers/serve';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './accounts';

export type OwnApp = {
	/** `http://127.0.0.1:<port>`, also its ORIGIN. */
	url: string;
	child: ChildProcess;
	/** Resolves with the exit code once the process has exited. */
	exited: Promise<number | null>;
	/** Kills it (if still running) and removes its DATA_DIR. */
	stop(): Promise<void>;
};

export async function startOwnApp(env: Record<string, string> = {}): Promise<OwnApp> {
	const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-own-app-'));
	try {
		const server = await spawnServer((port) =>
			spawn(process.execPath, ['scripts/start.js'], {
				env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ORIGIN: `http://127.0.0.1:${port}`, DATA_DIR: dataDir, ADMIN_EMAIL, ADMIN_PASSWORD, LOG_LEVEL: 'warn', ...env },
				stdio: 'ignore'
			})
		);
		const child = server.child;
		await server.healthz.body?.cancel();
		const exited = new Promise<number | null>((resolve) => {
			if (child.exitCode !== null) resolve(child.exitCode);
			else child.once('exit', (code) => resolve(code));
		});
		return {
			url: server.url,
			child,
			exited,
			async stop() {
				if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
				await exited;
				// Its embedded server is stopped by the watchdog a moment after the kill and may
				// still be writing: rm retries while the directory is busy or not yet empty.
				await fs.rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
			}
		};
	} catch (err) {
		await fs.rm(dataDir, { recursive: true, force: true });
		throw err;
	}
}
