import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './tests/e2e/helpers/accounts';

const PORT = Number(process.env.E2E_PORT ?? 4173);
// A throw-away DATA_DIR shared by the config's evaluations in the runner and its workers.
process.env.E2E_DATA_DIR ??= mkdtempSync(path.join(os.tmpdir(), 'cronkit-e2e-'));

/** Debian's Chromium when present (Playwright cannot download browsers here). */
const chromium = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((p) => p && existsSync(p));

export default defineConfig({
	testDir: 'tests/e2e',
	testMatch: '**/*.spec.ts',
	globalTeardown: './tests/e2e/helpers/teardown.ts',
	fullyParallel: true,
	workers: process.env.CI ? 2 : undefined,
	retries: 0,
	reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
	use: {
		baseURL: `http://localhost:${PORT}`,
		trace: 'retain-on-failure'
	},
	projects: [
		{
			name: 'chromium',
			use: {
				...devices['Desktop Chrome'],
				launchOptions: {
					executablePath: chromium,
					args: [
						'--no-sandbox',
						'--disable-gpu',
						'--disable-background-networking',
						'--disable-component-update',
						'--no-first-run'
					]
				}
			}
		}
	],
	webServer: {
		// Builds when the output is missing or stale, then serves the built app.
		command: 'node scripts/start.js',
		url: `http://localhost:${PORT}/healthz`,
		timeout: 180_000,
		reuseExistingServer: false,
		gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
		stdout: 'ignore',
		stderr: 'pipe',
		env: {
			PORT: String(PORT),
			HOST: '127.0.0.1',
			// What the browser's Origin header says (baseURL): SvelteKit's CSRF check compares them.
			ORIGIN: `http://localhost:${PORT}`,
			DATA_DIR: process.env.E2E_DATA_DIR,
			LOG_LEVEL: 'warn',
			// Same value as CRON_SECRET in tests/e2e/helpers/api.ts.
			CRON_SECRET: 'e2e-secret-0123456789abcdef',
			// The first admin, created at boot; the fixtures sign in with it (helpers/accounts.ts).
			ADMIN_EMAIL,
			ADMIN_PASSWORD
		}
	}
});
