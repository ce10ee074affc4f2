/**
 * Open live-update streams do not hold up shutdown: a second copy of the built app, started as
 * `npm start` runs it (scripts/start.js → scripts/server.js, its own embedded database), gets
 * SIGTERM while a browser-like client holds /admin/events open; the stream ends and the process
 * exits well within the 30 s grace period.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnServer, type SpawnedServer } from '../../helpers/serve';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../helpers/accounts';
import { expect, test } from './cron-test';

test('SIGTERM ends open event streams and exits promptly', async () => {
	test.setTimeout(120_000);
	const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-sse-'));
	let server: SpawnedServer | undefined;
	try {
		server = await spawnServer((port) =>
			spawn(process.execPath, ['scripts/start.js'], {
				env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ORIGIN: `http://127.0.0.1:${port}`, DATA_DIR: dataDir, ADMIN_EMAIL, ADMIN_PASSWORD, LOG_LEVEL: 'warn' },
				stdio: 'ignore'
			})
		);
		const { child, url: origin } = server;
		const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
		const login = await fetch(`${origin}/login`, {
			method: 'POST',
			headers: { origin, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
			redirect: 'manual'
		});
		expect(login.status).toBe(303);
		const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
		const events = await fetch(`${origin}/admin/events`, { headers: { cookie, accept: 'text/event-stream' } });
		expect(events.status).toBe(200);
		expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
		const reader = events.body!.getReader();
		expect(new TextDecoder().decode((await reader.read()).value)).toContain('retry:');

		const t0 = Date.now();
		child.kill('SIGTERM');
		// The stream ends (the server closes it) …
		for (;;) {
			const { done } = await reader.read().catch(() => ({ done: true }));
			if (done) break;
		}
		// … and the process exits 0, far from the 30 s grace period.
		expect(await exited).toBe(0);
		expect(Date.now() - t0).toBeLessThan(15_000);
	} finally {
		if (server?.child.exitCode === null) server.child.kill('SIGKILL');
		await fs.rm(dataDir, { recursive: true, force: true });
	}
});
