/**
 * Shutdown of a second copy of the built app, started as `npm start` runs it (scripts/start.js →
 * scripts/server.js, its own embedded database): open live-update streams do not hold it up,
 * and a request in flight when SIGTERM arrives is still answered, the database staying open
 * until HTTP has drained. The process exits 0 well within the 30 s grace period.
 */
import net from 'node:net';
import { adminSessionCookie } from '../helpers/accounts';
import { startOwnApp, type OwnApp } from '../helpers/own-app';
import { expect, test } from './cron-test';

/** Runs `fn` against a fresh app on its own DATA_DIR, killed and removed afterwards whatever happens. */
async function withApp(fn: (server: OwnApp, exited: Promise<number | null>) => Promise<void>): Promise<void> {
	const app = await startOwnApp();
	try {
		await fn(app, app.exited);
	} finally {
		await app.stop();
	}
}

test('SIGTERM ends open event streams and exits promptly', async () => {
	test.setTimeout(120_000);
	await withApp(async ({ child, url: origin }, exited) => {
		const cookie = await adminSessionCookie(origin);
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
	});
});

test('a request in flight at SIGTERM is answered from the database, then the process exits', async () => {
	test.setTimeout(120_000);
	await withApp(async ({ child, url }, exited) => {
		const { port } = new URL(url);
		const body = JSON.stringify({ sessionId: 'ds_in_flight' });
		const socket = net.connect(Number(port), '127.0.0.1');
		const answer = new Promise<string>((resolve, reject) => {
			let text = '';
			socket.on('data', (d) => (text += d.toString()));
			socket.on('end', () => resolve(text));
			socket.on('close', () => resolve(text));
			socket.on('error', reject);
		});
		await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
		// Headers and half the body: the request is in flight, waiting for the rest.
		socket.write(
			`POST /api/session/heartbeat HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`
		);
		// A request sent after it on another connection is answered: the server's event loop has
		// read those headers by then, so the request is in flight (rather than a fixed wait).
		await fetch(`${url}/healthz`).then((r) => r.arrayBuffer());
		const t0 = Date.now();
		child.kill('SIGTERM');
		// Long enough for the scheduler to have stopped; the server must still be serving this request.
		await new Promise((r) => setTimeout(r, 1_500));
		expect(child.exitCode, 'still running while a request is in flight').toBeNull();
		// write, not end: a client half-closing its side makes Node abort the request
		socket.write(body.slice(10));
		const text = await answer;
		// An unknown session: a 404 read from the database, not a 503 from a closed pool.
		expect(text).toMatch(/^HTTP\/1\.1 404 /);
		expect(text).toContain('"code":"not_found"');
		expect(await exited).toBe(0);
		expect(Date.now() - t0).toBeLessThan(15_000);
	});
});
