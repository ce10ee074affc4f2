// Screenshots of the main admin pages for the README: `npx tsx scripts/screenshots.ts`.
// Serves the built app on a throw-away DATA_DIR, signs in, runs a job, and captures each page.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';

const PORT = Number(process.env.PORT ?? 4399);
const base = `http://localhost:${PORT}`;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cronkit-shots-'));
const admin = { email: 'admin@example.com', password: 'screenshots-Passw0rd-1' };
const out = path.resolve('docs/screenshots');

const app = spawn(process.execPath, ['scripts/start.js'], {
	env: { ...process.env, PORT: String(PORT), DATA_DIR: dataDir, ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, LOG_LEVEL: 'warn' },
	stdio: ['ignore', 'ignore', 'inherit']
});
try {
	for (let i = 0; ; i++) {
		if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
		if (i > 600) throw new Error('app did not start');
		await new Promise((r) => setTimeout(r, 250));
	}
	const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((p) => p && existsSync(p));
	const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
	const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
	await page.goto(`${base}/login`);
	await page.getByLabel('Email').fill(admin.email);
	await page.getByLabel('Password').fill(admin.password);
	await page.getByRole('button', { name: /sign in|log in/i }).click();
	await page.waitForURL('**/admin/**');
	const shot = async (url: string, name: string) => {
		await page.goto(`${base}${url}`);
		await page.waitForLoadState('networkidle').catch(() => undefined);
		await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: false });
		console.log(`docs/screenshots/${name}.png`);
	};
	await page.goto(`${base}/admin/cron/prune-executions`);
	await page.getByRole('button', { name: 'Run now' }).first().click();
	await page.waitForTimeout(1500);
	await shot('/admin/cron', 'jobs');
	await shot('/admin/cron/prune-executions', 'job-detail');
	const run = await page.locator('a[href*="/executions/"]').first().getAttribute('href');
	if (run) await shot(run, 'execution');
	await shot('/admin/cron/executions', 'executions');
	await shot('/admin/sessions', 'sessions');
	await browser.close();
} finally {
	app.kill('SIGTERM');
	await new Promise((r) => app.once('exit', r));
	rmSync(dataDir, { recursive: true, force: true });
}
