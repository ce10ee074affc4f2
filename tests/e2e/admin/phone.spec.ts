/**
 * Phone width (390×844): the wide tables become cards, so a job's state, last run and actions,
 * a run's status and a key's actions are on screen without sideways scrolling, and no page
 * scrolls sideways. With JavaScript on and off, and axe-clean in light and dark.
 */
import type { Browser, Locator, Page } from '@playwright/test';
import { formHeaders } from '../helpers/accounts';
import type { CronApi } from '../helpers/api';
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { CronJobPage } from '../pages/cron-job';
import { CronListPage } from '../pages/cron-list';
import { RunsPage } from '../pages/cron-runs';
import { SessionsPage } from '../pages/sessions';
import { expect, test, uniqueKey } from './cron-test';

const PHONE = { width: 390, height: 844 };

/** Every admin page with a wide table or a busy header. */
const PAGES = ['/admin', '/admin/cron', '/admin/cron/executions', '/admin/cron/settings', '/admin/audit', '/admin/users', '/admin/sessions', '/admin/email', '/admin/monitors', '/admin/alerts'];

async function phone(browser: Browser, storageState: string, baseURL: string | undefined, opts: { js: boolean; dark?: boolean }) {
	const context = await browser.newContext({
		storageState,
		baseURL,
		viewport: PHONE,
		isMobile: false,
		javaScriptEnabled: opts.js,
		colorScheme: opts.dark ? 'dark' : 'light'
	});
	return { context, page: await context.newPage() };
}

/** How far the document scrolls sideways (0 when it fits). */
const sideScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** The cell of `row` under the column headed `header` (found by the table's own header cells). */
async function cell(table: Locator, row: Locator, header: string): Promise<Locator> {
	const headers = await table.locator('thead th').allTextContents();
	const index = headers.findIndex((h) => h.trim() === header);
	expect(index, `no column "${header}" in ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(0);
	return row.locator(':scope > td').nth(index);
}

/**
 * Wholly inside the viewport once the page is scrolled down to it: the page scrolls only
 * vertically, so an element hidden to the side (in a box that scrolls sideways) stays hidden.
 */
async function expectOnScreen(target: Locator, what: string) {
	await target.evaluate((el) => window.scrollBy(0, el.getBoundingClientRect().top - 100));
	await expect(target, what).toBeInViewport({ ratio: 1 });
}

/** A job with one finished (failed: nothing listens on port 9) run, and an access key with a device. */
async function seed(api: CronApi, page: Page, baseURL: string) {
	const key = uniqueKey('e2e-phone');
	await api.createHttpJob('http://127.0.0.1:9/', { key, name: `Phone ${key}`, maxRetries: 0 });
	const runId = await api.trigger(key);
	await api.waitForStatus(runId, ['failed']);

	const label = `Phone key ${key}`;
	const created = await page.request.post('/admin/sessions?/create', { form: { label, email: '' }, headers: formHeaders(baseURL), maxRedirects: 0 });
	expect(created.status(), await created.text()).toBe(303);
	const sessions = new SessionsPage(page);
	await sessions.goto();
	const accessKey = (await sessions.createdKey.textContent())!.trim();
	const start = await page.request.post('/api/session/start', { data: { accessKey, deviceId: `phone-${key}` } });
	expect(start.status(), await start.text()).toBe(201);
	return { key, runId, label };
}

for (const js of [true, false]) {
	test(`at 390 px with JavaScript ${js ? 'on' : 'off'}: no page scrolls sideways; state, last run, actions, run status and key actions are on screen`, async ({
		browser,
		adminStorageState,
		baseURL,
		api
	}) => {
		test.setTimeout(90_000);
		const { context, page } = await phone(browser, adminStorageState, baseURL, { js });
		const { key, runId, label } = await seed(api, page, baseURL!);

		const list = new CronListPage(page);
		await list.goto(`?q=${key}`);
		const row = list.row(key);
		await expect(row).toBeVisible();
		expect(await sideScroll(page), '/admin/cron scrolls sideways').toBeLessThanOrEqual(0);
		await expectOnScreen(await cell(list.table, row, 'State'), 'the job state');
		await expectOnScreen(list.lastStatus(key), 'the last run');
		await expect(list.lastStatus(key)).toContainText('failed');
		await expectOnScreen(list.runNow(key), 'Run now');
		await expectOnScreen(list.disable(key), 'Disable');
		// Disabled, the row offers Enable: also on screen.
		await list.disable(key).click();
		await expect(list.enable(key)).toBeVisible();
		await expectOnScreen(list.enable(key), 'Enable');
		expect(await sideScroll(page)).toBeLessThanOrEqual(0);

		const job = new CronJobPage(page);
		await job.goto(key);
		await expect(job.heading).toBeVisible();
		expect(await sideScroll(page), 'the job page scrolls sideways').toBeLessThanOrEqual(0);
		const historyRow = job.history.locator(`tr[data-run-id="${runId}"]`);
		await expectOnScreen(await cell(job.history, historyRow, 'Status'), "the history's run status");
		await expectOnScreen(await cell(job.history, historyRow, 'Duration'), "the history's run duration");
		await expectOnScreen(job.runNow, 'Run now on the job page');

		const runs = new RunsPage(page);
		await runs.goto(`?job=${key}`);
		const runRow = runs.table.locator(`tr[data-run-id="${runId}"]`);
		await expect(runRow).toBeVisible();
		expect(await sideScroll(page), '/admin/cron/executions scrolls sideways').toBeLessThanOrEqual(0);
		for (const header of ['Status', 'Started', 'Duration', 'Message']) await expectOnScreen(await cell(runs.table, runRow, header), `the run's ${header}`);

		await page.goto(`/admin/cron/${key}/executions/${runId}`);
		expect(await sideScroll(page), 'the run page scrolls sideways').toBeLessThanOrEqual(0);

		const sessions = new SessionsPage(page);
		await page.goto(`/admin/sessions?q=${encodeURIComponent(label)}`);
		const keyRow = sessions.row(label);
		await expect(keyRow).toBeVisible();
		expect(await sideScroll(page), '/admin/sessions scrolls sideways').toBeLessThanOrEqual(0);
		await expectOnScreen(keyRow.getByTestId('device-id'), "the key's device");
		await expectOnScreen(keyRow.getByRole('button', { name: 'End session' }), 'End session');
		await expectOnScreen(keyRow.getByRole('button', { name: 'Revoke' }), 'Revoke');

		for (const path of PAGES) {
			await page.goto(path);
			await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
			expect(await sideScroll(page), `${path} scrolls sideways`).toBeLessThanOrEqual(0);
			// Every link of the navigation can be reached without scrolling sideways.
			for (const link of await page.getByRole('navigation', { name: 'Admin' }).getByRole('link').all()) {
				const box = (await link.boundingBox())!;
				expect(box.x, `${path}: nav link ${await link.textContent()}`).toBeGreaterThanOrEqual(0);
				expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
			}
		}
		await context.close();
	});
}

for (const dark of [false, true]) {
	test(`at 390 px in ${dark ? 'dark' : 'light'} mode the card tables are axe-clean and still tables`, async ({ browser, adminStorageState, baseURL, api }) => {
		test.setTimeout(180_000);
		const { context, page } = await phone(browser, adminStorageState, baseURL, { js: true, dark });
		const { key, runId, label } = await seed(api, page, baseURL!);
		for (const path of [`/admin/cron?q=${key}`, `/admin/cron/${key}`, `/admin/cron/executions?job=${key}`, `/admin/sessions?q=${encodeURIComponent(label)}`, ...PAGES]) {
			await page.goto(path);
			await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
			await expectNoSeriousA11yViolations(page);
		}
		// Chromium's own accessibility tree (not the DOM) still has a table with column headers and cells.
		await page.goto(`/admin/cron/executions?job=${key}`);
		await expect(page.locator(`tr[data-run-id="${runId}"]`)).toBeVisible();
		const cdp = await context.newCDPSession(page);
		const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { role?: { value?: string }; ignored?: boolean }[] };
		const roles = nodes.filter((n) => !n.ignored).map((n) => n.role?.value);
		expect(roles).toContain('table');
		expect(roles).toContain('columnheader');
		expect(roles.filter((r) => r === 'cell').length).toBeGreaterThanOrEqual(8);
		await context.close();
	});
}
