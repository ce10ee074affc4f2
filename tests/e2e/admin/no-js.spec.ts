/** The cron pages without JavaScript: server-rendered, and every change a plain form post. */
import { CronJobPage } from '../pages/cron-job';
import { CronListPage } from '../pages/cron-list';
import { NewJobPage } from '../pages/cron-new';
import { RunsPage } from '../pages/cron-runs';
import { expect, QUIET_SCHEDULE, test, uniqueKey } from './cron-test';

test('list, job page, Run now, Disable and Enable, edit and create work as form posts', async ({ browser, adminStorageState, api, selfURL }) => {
	const context = await browser.newContext({ storageState: adminStorageState, javaScriptEnabled: false });
	const page = await context.newPage();
	const key = uniqueKey('e2e-nojs');
	await api.createHttpJob(`${selfURL}/healthz`, { key });

	const list = new CronListPage(page);
	await list.goto(`?q=${key}`);
	await expect(list.row(key)).toBeVisible();
	await expect(list.live).toHaveCount(0);
	await list.runNow(key).click();
	await expect(page.getByText(new RegExp(`Run #\\d+ of ${key} queued`))).toBeVisible();
	// The filter survives the post.
	expect(await list.rowKeys()).toEqual([key]);
	await list.disable(key).click();
	await expect(list.enable(key)).toBeVisible();
	await list.enable(key).click();
	await expect(list.disable(key)).toBeVisible();

	const job = new CronJobPage(page);
	await job.goto(key);
	await expect(job.heading).toBeVisible();
	await job.runNow.click();
	await expect(job.notice).toContainText(/Run #\d+ of .* queued/);
	await expect.poll(async () => {
		await job.goto(key);
		return job.history.locator('tr[data-status="succeeded"]').count();
	}, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);

	// Edit: an invalid schedule is refused by the server, named, and kept.
	await job.schedule.fill('0 0 32 * *');
	await job.save.click();
	await expect(job.fieldError(job.schedule)).toContainText(/day of month/);
	await expect(job.schedule).toHaveValue('0 0 32 * *');
	await job.schedule.fill('15 6 * * *');
	await job.save.click();
	await expect(job.setting('schedule')).toContainText('15 6 * * *');

	// Create.
	const form = new NewJobPage(page);
	await form.goto();
	const created = uniqueKey('e2e-nojs-new');
	await form.fill({ name: 'No JS', key: created, schedule: QUIET_SCHEDULE, url: `${selfURL}/healthz` });
	await form.create.click();
	await expect(page).toHaveURL(new RegExp(`/admin/cron/${created}`));

	// All runs, filtered by job.
	const runs = new RunsPage(page);
	await runs.goto(`?job=${key}`);
	const ids = await runs.runIds();
	expect(ids.length).toBeGreaterThanOrEqual(2);
	await context.close();
});
