// The README's screenshots (docs/screenshots/): `npm run screenshots` (builds first when stale).
// Serves the built app on a throw-away DATA_DIR (its own embedded PostgreSQL), seeds jobs that
// call a small HTTP server on loopback (quick, slow, flaky and failing endpoints) and runs them
// through the REST API, then captures the overview, the job list, a job and a run in light and
// dark at desktop width, and the job list and a job at phone width (390 px).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions } from '@playwright/test';

const PORT = Number(process.env.PORT ?? 4399);
const base = `http://localhost:${PORT}`;
const secret = randomBytes(24).toString('hex');
const admin = { email: 'ops@example.com', password: `shots-${randomBytes(12).toString('hex')}` };
const out = path.resolve('docs/screenshots');
const until = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the seeded jobs call: each path answers the way its name says. */
function targets(): Promise<Server> {
	let calls = 0;
	const server = createServer((req, res) => {
		calls++;
		const reply = (status: number, body: unknown, delay: number) =>
			setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)), delay);
		if (req.url === '/ok') reply(200, { ok: true }, 80 + (calls % 7) * 40);
		else if (req.url === '/slow') reply(200, { indexed: 18_432 }, 1_200 + (calls % 3) * 300);
		else if (req.url === '/flaky') reply(calls % 3 === 0 ? 502 : 200, { synced: calls % 3 === 0 ? 0 : 42 }, 150);
		else reply(503, { error: 'storage bucket is read-only' }, 60);
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function api(method: string, url: string, data?: unknown) {
	const res = await fetch(`${base}${url}`, {
		method,
		headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
		body: data === undefined ? undefined : JSON.stringify(data)
	});
	if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
	return res.json();
}

async function runAndWait(key: string) {
	const { execution } = await api('POST', `/api/cron/jobs/${key}/trigger`);
	for (let i = 0; i < 200; i++) {
		const { execution: run } = await api('GET', `/api/cron/executions/${execution.id}`);
		if (!['queued', 'running'].includes(run.status)) return run as { id: number; status: string };
		await until(100);
	}
	throw new Error(`run ${execution.id} of ${key} did not finish`);
}

async function seed(target: string) {
	const jobs = [
		{ key: 'nightly-backup', name: 'Nightly database backup', schedule: '0 3 * * *', timezone: 'Europe/Berlin', path: '/ok', runs: 5 },
		{ key: 'sync-invoices', name: 'Sync invoices', schedule: '*/15 * * * *', timezone: 'UTC', path: '/flaky', runs: 8 },
		{ key: 'warm-cache', name: 'Warm the product cache', schedule: '*/30 * * * * *', timezone: 'UTC', path: '/ok', runs: 3 },
		{ key: 'reindex-search', name: 'Rebuild the search index', schedule: '30 2 * * *', timezone: 'America/New_York', path: '/slow', runs: 3 },
		{ key: 'weekly-digest', name: 'Weekly digest email', schedule: '0 8 * * 1', timezone: 'Asia/Kolkata', path: '/ok', runs: 2 },
		{ key: 'purge-uploads', name: 'Purge expired uploads', schedule: '0 * * * *', timezone: 'UTC', path: '/fail', runs: 3 },
		{ key: 'partner-ping', name: 'Ping the partner API', schedule: '*/10 * * * *', timezone: 'UTC', path: '/ok', runs: 1, disable: true }
	];
	for (const job of jobs) {
		await api('POST', '/api/cron/jobs', {
			key: job.key,
			name: job.name,
			type: 'http',
			schedule: job.schedule,
			timezone: job.timezone,
			maxRetries: 0,
			params: { url: `${target}${job.path}` }
		});
	}
	// Round-robin, so the runs of the jobs interleave as they would in a day.
	for (let round = 0; round < Math.max(...jobs.map((j) => j.runs)); round++) {
		for (const job of jobs) if (round < job.runs) await runAndWait(job.key);
	}
	for (const job of jobs) if (job.disable) await api('PATCH', `/api/cron/jobs/${job.key}`, { enabled: false });
	const { executions } = await api('GET', '/api/cron/executions?job=sync-invoices&status=failed&limit=1');
	return { job: 'sync-invoices', run: executions[0].id as number };
}

async function capture(browser: Browser, storageState: BrowserContextOptions['storageState'], theme: 'light' | 'dark' | 'phone', pages: [string, string][]) {
	const phone = theme === 'phone';
	const context = await browser.newContext({
		storageState,
		viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 800 },
		deviceScaleFactor: phone ? 2 : 1,
		colorScheme: theme === 'dark' ? 'dark' : 'light'
	});
	const page = await context.newPage();
	for (const [url, name] of pages) {
		await page.goto(`${base}${url}`);
		await page.getByRole('heading', { level: 1 }).waitFor();
		// Hydrated and streaming: the live indicator says so (and the relative times are current).
		await page.getByTestId('live-indicator').filter({ hasText: 'Live' }).first().waitFor();
		const file = path.join(out, `${name}-${theme}.png`);
		await page.screenshot({ path: file });
		console.log(`${path.relative(process.cwd(), file)} ${Math.round(statSync(file).size / 1024)} KB`);
	}
	await context.close();
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cronkit-shots-'));
const server = await targets();
const app = spawn(process.execPath, ['scripts/start.js'], {
	env: { ...process.env, PORT: String(PORT), HOST: '127.0.0.1', DATA_DIR: dataDir, CRON_SECRET: secret, ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, LOG_LEVEL: 'warn' },
	stdio: ['ignore', 'ignore', 'inherit']
});
try {
	for (let i = 0; !(await fetch(`${base}/healthz`).then((r) => r.ok, () => false)); i++) {
		if (i > 1_200) throw new Error('the app did not start within 5 minutes');
		await until(250);
	}
	const { job, run } = await seed(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);

	const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((p) => p && existsSync(p));
	const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
	const login = await browser.newPage();
	await login.goto(`${base}/login`);
	await login.getByLabel('Email').fill(admin.email);
	await login.getByLabel('Password').fill(admin.password);
	await login.getByRole('button', { name: /sign in|log in/i }).click();
	await login.waitForURL('**/admin**');
	const storageState = await login.context().storageState();
	await login.close();

	const desktop: [string, string][] = [
		['/admin', 'overview'],
		['/admin/cron', 'jobs'],
		[`/admin/cron/${job}`, 'job'],
		[`/admin/cron/${job}/executions/${run}`, 'run']
	];
	await capture(browser, storageState, 'light', desktop);
	await capture(browser, storageState, 'dark', desktop);
	await capture(browser, storageState, 'phone', [
		// The seeded jobs first (the code jobs have not run yet).
		['/admin/cron?source=ui', 'jobs'],
		[`/admin/cron/${job}`, 'job']
	]);
	await browser.close();
} finally {
	app.kill('SIGTERM');
	await new Promise((r) => app.once('exit', r));
	server.close();
	rmSync(dataDir, { recursive: true, force: true });
}
