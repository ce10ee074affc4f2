/** /admin/cron: every job, search and filters, Enable/Disable, responsive. */
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { CronListPage } from '../pages/cron-list';
import { expect, QUIET_SCHEDULE, test, uniqueKey } from './cron-test';

test('lists every job the service lists, with schedule, zone and state', async ({ adminPage, api }) => {
	const { jobs } = await (await api.get('/api/cron/jobs')).json();
	const list = new CronListPage(adminPage);
	await list.goto();
	await expect(list.heading).toBeVisible();
	const keys = await list.rowKeys();
	for (const job of jobs as { key: string; name: string; timezone: string }[]) {
		expect(keys, `${job.key} is listed`).toContain(job.key);
		const row = list.row(job.key);
		await expect(row.getByRole('link', { name: job.name })).toBeVisible();
		await expect(row).toContainText(job.timezone);
	}
	// A built-in job (more come with other modules; whatever the service lists is shown).
	await expect(list.row('prune-executions')).toContainText('daily');
	await expect(list.row('prune-executions')).toContainText(/At 00:00/);
	await expectNoSeriousA11yViolations(adminPage);
});

test('search and filters are query parameters (they work without JavaScript)', async ({ browser, adminStorageState, api }) => {
	const key = uniqueKey('e2e-filter');
	await api.createHttpJob('http://127.0.0.1:9/', { key, name: `Filter me ${key}` });
	const context = await browser.newContext({ storageState: adminStorageState, javaScriptEnabled: false });
	const page = await context.newPage();
	const list = new CronListPage(page);
	await list.goto();
	await list.search.fill(key);
	await list.filter.click();
	await expect(page).toHaveURL(new RegExp(`q=${key}`));
	expect(await list.rowKeys()).toEqual([key]);
	await list.goto('?source=code');
	const keys = await list.rowKeys();
	expect(keys).toContain('prune-executions');
	expect(keys).not.toContain(key);
	await list.goto(`?q=${key}&state=failing`);
	await expect(list.table).toContainText('No job matches these filters');
	await context.close();
});

test('Disable and Enable persist across a reload', async ({ adminPage, api }) => {
	const key = uniqueKey('e2e-toggle');
	await api.createHttpJob('http://127.0.0.1:9/', { key, schedule: QUIET_SCHEDULE });
	const list = new CronListPage(adminPage);
	await list.goto(`?q=${key}`);
	await list.disable(key).click();
	await expect(list.enable(key)).toBeVisible();
	await expect(list.row(key)).toHaveAttribute('data-state', 'disabled');
	await adminPage.reload();
	await expect(list.enable(key)).toBeVisible();
	expect((await (await api.get(`/api/cron/jobs/${key}`)).json()).job.enabled).toBe(false);
	await list.enable(key).click();
	await expect(list.disable(key)).toBeVisible();
	await adminPage.reload();
	await expect(list.disable(key)).toBeVisible();
	await expect(list.row(key)).toHaveAttribute('data-state', 'idle');
	expect((await (await api.get(`/api/cron/jobs/${key}`)).json()).job.enabled).toBe(true);
});

test('fits a phone: the table scrolls inside its box, the page does not', async ({ adminPage }) => {
	await adminPage.setViewportSize({ width: 375, height: 740 });
	const list = new CronListPage(adminPage);
	await list.goto();
	await expect(list.heading).toBeVisible();
	const overflow = await adminPage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	expect(overflow).toBeLessThanOrEqual(0);
	await expectNoSeriousA11yViolations(adminPage);
});

test('dark mode has no serious accessibility violations', async ({ browser, adminStorageState }) => {
	const context = await browser.newContext({ storageState: adminStorageState, colorScheme: 'dark' });
	const page = await context.newPage();
	const list = new CronListPage(page);
	await list.goto();
	await expect(list.heading).toBeVisible();
	const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
	expect(bg).not.toBe('rgb(255, 255, 255)');
	await expectNoSeriousA11yViolations(page);
	await context.close();
});
