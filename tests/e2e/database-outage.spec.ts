/**
 * The built app (as `npm start` runs it, with the heartbeat fast path) on a PostgreSQL of this
 * test's own, which is stopped (fast shutdown) and later frozen (SIGSTOP on every process):
 * meanwhile the API, both heartbeat paths, a signed-in admin page, the login page and /healthz
 * answer 503 (the API and heartbeats `database_unavailable`) and /metrics 200 with its database
 * gauges NaN, within DB_STATEMENT_TIMEOUT_MS and a margin when frozen; when the database is
 * back everything works again, no restart.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { startEmbedded, type EmbeddedServer } from '../../src/lib/server/db/embedded';
import { freezeCluster } from '../helpers/postgres-freeze';
import { spawnServer, type SpawnedServer } from '../helpers/serve';
import { ADMIN_EMAIL, ADMIN_PASSWORD, adminSessionCookie } from './helpers/accounts';
import { CRON_SECRET } from './helpers/api';
import { expectNoSeriousA11yViolations } from './helpers/axe';

const STATEMENT_TIMEOUT_MS = 1500;
/** Generous: the machine is shared, and what is under test is "no hang", not speed. */
const MARGIN_MS = 8_000;

type Probe = { name: string; kind: 'api' | 'page' | 'health' | 'metrics'; send: (origin: string, cookie: string) => Promise<Response> };

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(60_000) });
const heartbeat = (origin: string, headers: Record<string, string> = {}) =>
	fetch(`${origin}/api/session/heartbeat`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body: JSON.stringify({ sessionId: 'ds_no_such_session' }),
		signal: AbortSignal.timeout(60_000)
	});

const PROBES: Probe[] = [
	{ name: 'GET /api/cron/jobs (bearer)', kind: 'api', send: (o) => get(`${o}/api/cron/jobs`, { authorization: `Bearer ${CRON_SECRET}` }) },
	// No cookie and a JSON body: scripts/server.js answers it on the fast path.
	{ name: 'heartbeat, fast path', kind: 'api', send: (o) => heartbeat(o) },
	// A cookie (any) makes the fast path hand the request to SvelteKit's route.
	{ name: 'heartbeat, SvelteKit route', kind: 'api', send: (o) => heartbeat(o, { cookie: 'probe=1' }) },
	{ name: 'GET /api/cron/jobs (session cookie)', kind: 'api', send: (o, cookie) => get(`${o}/api/cron/jobs`, { cookie }) },
	{ name: 'GET /admin/cron (signed in)', kind: 'page', send: (o, cookie) => get(`${o}/admin/cron`, { cookie, accept: 'text/html' }) },
	{ name: 'GET /login', kind: 'page', send: (o) => get(`${o}/login`, { accept: 'text/html' }) },
	{ name: 'GET /healthz', kind: 'health', send: (o) => get(`${o}/healthz`) },
	{ name: 'GET /metrics', kind: 'metrics', send: (o) => get(`${o}/metrics`) }
];

/** The status each probe gets while the database is up. */
const UP: Record<string, number> = {
	'GET /api/cron/jobs (bearer)': 200,
	'heartbeat, fast path': 404,
	'heartbeat, SvelteKit route': 404,
	'GET /api/cron/jobs (session cookie)': 200,
	'GET /admin/cron (signed in)': 200,
	'GET /login': 200,
	'GET /healthz': 200,
	'GET /metrics': 200
};

/** Sends every probe at once; each answer with how long it took. */
async function probeAll(origin: string, cookie: string) {
	return Promise.all(
		PROBES.map(async (p) => {
			const t0 = Date.now();
			const res = await p.send(origin, cookie);
			const body = await res.text();
			return { ...p, status: res.status, body, headers: res.headers, ms: Date.now() - t0 };
		})
	);
}

function expectUnavailable(answers: Awaited<ReturnType<typeof probeAll>>, withinMs: number): void {
	for (const a of answers) {
		expect(a.ms, `${a.name} answered after ${a.ms} ms`).toBeLessThan(withinMs);
		if (a.kind === 'metrics') {
			// Scrapes go on; what the database would tell is unknown (prom-client prints NaN as "Nan").
			expect(a.status, a.name).toBe(200);
			expect(a.body, a.name).toMatch(/^cronkit_queue_depth Nan$/m);
			continue;
		}
		expect(a.status, `${a.name}: ${a.body.slice(0, 200)}`).toBe(503);
		if (a.kind === 'api') {
			expect(JSON.parse(a.body), a.name).toEqual({
				error: { code: 'database_unavailable', message: expect.stringMatching(/database is unavailable/), issues: [] }
			});
			expect(a.headers.get('retry-after'), a.name).toBe('5');
		} else if (a.kind === 'page') {
			expect(a.headers.get('content-type'), a.name).toMatch(/^text\/html/);
			expect(a.body, a.name).toContain('<h1>Database unavailable</h1>');
		} else {
			expect(JSON.parse(a.body), a.name).toMatchObject({ status: 'degraded', db: 'down' });
		}
	}
}

/** Polls until every probe gets its usual answer again (the database is back). */
async function expectRecovered(origin: string, cookie: string): Promise<void> {
	await expect
		.poll(async () => Object.fromEntries((await probeAll(origin, cookie)).map((a) => [a.name, a.status])), {
			timeout: 60_000,
			intervals: [250, 500, 1000]
		})
		.toEqual(UP);
}

test('while the database is stopped or frozen every request gets a 503, and all works again when it is back', async ({ browser }) => {
	test.setTimeout(300_000);
	// Two directories: as root, the server's OS user must be able to reach its DATA_DIR.
	const pgDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-outage-pg-'));
	const appDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-outage-app-'));
	const settings = { fsync: 'off', shared_buffers: '32MB', wal_buffers: '1MB' };
	let pg: EmbeddedServer | undefined;
	let server: SpawnedServer | undefined;
	let thaw: (() => Promise<void>) | undefined;
	try {
		pg = await startEmbedded({ dataDir: pgDir, mode: 'own', settings });
		const { port: pgPort, url: databaseUrl } = pg;
		server = await spawnServer((port) =>
			spawn(process.execPath, ['scripts/start.js'], {
				env: {
					...process.env,
					PORT: String(port),
					HOST: '127.0.0.1',
					ORIGIN: `http://127.0.0.1:${port}`,
					DATA_DIR: appDir,
					DATABASE_URL: databaseUrl,
					DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
					CRON_SECRET,
					ADMIN_EMAIL,
					ADMIN_PASSWORD,
					LOG_LEVEL: 'error'
				},
				stdio: 'ignore'
			})
		);
		const origin = server.url;
		const cookie = await adminSessionCookie(origin);
		await expectRecovered(origin, cookie);

		// ---- stopped: connections are refused ------------------------------------------------
		await pg.stop();
		expectUnavailable(await probeAll(origin, cookie), MARGIN_MS);
		// The signed-in page in a browser: the error page, not the login form, and accessible.
		// The Cookie header carries the login session and the known-device cookie.
		const cookies = cookie.split('; ').map((pair) => {
			const at = pair.indexOf('=');
			return { name: pair.slice(0, at), value: pair.slice(at + 1), url: origin };
		});
		const context = await browser.newContext();
		await context.addCookies(cookies);
		const page = await context.newPage();
		const res = await page.goto(`${origin}/admin/cron`);
		expect(res?.status()).toBe(503);
		expect(new URL(page.url()).pathname).toBe('/admin/cron');
		await expect(page.getByRole('heading', { level: 1, name: 'Database unavailable' })).toBeVisible();
		await expectNoSeriousA11yViolations(page);
		await context.close();

		pg = await startEmbedded({ dataDir: pgDir, mode: 'own', settings, port: pgPort });
		await expectRecovered(origin, cookie);

		// ---- frozen: connections are accepted, nothing answers -----------------------------
		thaw = await freezeCluster(path.join(pgDir, 'postgres'));
		expectUnavailable(await probeAll(origin, cookie), STATEMENT_TIMEOUT_MS + MARGIN_MS);
		// Again, with the connections of the first round still stuck.
		expectUnavailable(await probeAll(origin, cookie), STATEMENT_TIMEOUT_MS + MARGIN_MS);
		await thaw();
		thaw = undefined;
		await expectRecovered(origin, cookie);
		expect(server.child.exitCode, 'the app stayed up throughout').toBeNull();
	} finally {
		await thaw?.();
		if (server && server.child.exitCode === null) {
			const exited = new Promise((r) => server!.child.once('exit', r));
			server.child.kill('SIGKILL');
			await exited;
		}
		await pg?.stop();
		await Promise.all([pgDir, appDir].map((d) => fs.rm(d, { recursive: true, force: true })));
	}
});
