/** The job page's edit form, drift and Reset to code default, Delete. */
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { CronJobPage } from '../pages/cron-job';
import { expect, test, uniqueKey } from './cron-test';

test('an invalid schedule names the faulty field and is not saved; a valid one is saved and the next run moves', async ({ adminPage, api }) => {
	const key = uniqueKey('e2e-edit');
	await api.createHttpJob('http://127.0.0.1:9/', { key, schedule: '0 3 * * *' });
	const job = new CronJobPage(adminPage);
	await job.goto(key);
	await job.waitForLive();
	const nextBefore = await job.nextRun.locator('time').getAttribute('datetime');
	expect(nextBefore).toMatch(/T03:00:00/);

	// As you type: the field is checked and named.
	await job.schedule.fill('99 3 * * *');
	await expect(job.fieldError(job.schedule)).toContainText('minute');
	await expect(job.schedule).toHaveAttribute('aria-invalid', 'true');
	// On submit: the server refuses it, names the field and keeps the value.
	await job.save.click();
	await expect(job.fieldError(job.schedule)).toContainText(/invalid minute field "99"/);
	await expect(job.schedule).toHaveValue('99 3 * * *');
	expect((await (await api.get(`/api/cron/jobs/${key}`)).json()).job.schedule).toBe('0 3 * * *');

	// A valid one: described and previewed as typed, then saved.
	await job.schedule.fill('30 4 * * *');
	await expect(job.schedulePreview).toContainText('At 04:30');
	await expect(job.schedulePreview.locator('li')).toHaveCount(5);
	await job.save.click();
	await expect(job.notice).toContainText('Saved.');
	await expect(job.setting('schedule')).toContainText('30 4 * * *');
	await expect(job.nextRun.locator('time')).toHaveAttribute('datetime', /T04:30:00/);
	await adminPage.reload();
	await expect(job.nextRun.locator('time')).toHaveAttribute('datetime', /T04:30:00/);
	expect((await (await api.get(`/api/cron/jobs/${key}`)).json()).job.schedule).toBe('30 4 * * *');
});

test('the preview shows the next runs in the chosen zone', async ({ adminPage, api }) => {
	const key = uniqueKey('e2e-zone');
	await api.createHttpJob('http://127.0.0.1:9/', { key, schedule: '0 9 * * *' });
	const job = new CronJobPage(adminPage);
	await job.goto(key);
	await job.waitForLive();
	await job.timezone.selectOption('Asia/Tokyo');
	await expect(job.schedulePreview).toContainText('Next runs (Asia/Tokyo)');
	await expect(job.schedulePreview.locator('li').first()).toContainText('09:00:00 GMT+9');
	await job.save.click();
	await expect(job.notice).toContainText('Saved.');
	await expect(job.setting('timezone')).toContainText('Asia/Tokyo');
	// 09:00 in Tokyo is 00:00 UTC.
	await expect(job.nextRun.locator('time')).toHaveAttribute('datetime', /T00:00:00/);
});

test('a code job shows its drift and Reset to code default removes it', async ({ adminPage, api }) => {
	// prune-auth-sessions: a built-in job no other test edits.
	const key = 'prune-auth-sessions';
	const job = new CronJobPage(adminPage);
	await job.goto(key);
	await job.waitForLive();
	await expect(job.setting('timeoutMs')).toHaveAttribute('data-drift', 'false');
	const original = (await (await api.get(`/api/cron/jobs/${key}`)).json()).job.timeoutMs as number;
	await job.editForm.getByLabel('Timeout (ms)').fill(String(original + 1000));
	await job.save.click();
	await expect(job.notice).toContainText('Saved.');
	await expect(job.setting('timeoutMs')).toHaveAttribute('data-drift', 'true');
	await expect(job.setting('timeoutMs')).toContainText(String(original + 1000));
	await expect(job.resetToCode).toBeVisible();
	await job.resetToCode.click();
	await expect(job.setting('timeoutMs')).toHaveAttribute('data-drift', 'false');
	await expect(job.resetToCode).toHaveCount(0);
	expect((await (await api.get(`/api/cron/jobs/${key}`)).json()).job.timeoutMs).toBe(original);
});

test('Delete (UI jobs only) asks for a confirmation that works without JavaScript', async ({ browser, adminStorageState, api, adminPage }) => {
	const code = new CronJobPage(adminPage);
	await code.goto('prune-executions');
	await expect(code.deleteButton).toHaveCount(0);

	const key = uniqueKey('e2e-delete');
	await api.createHttpJob('http://127.0.0.1:9/', { key });
	const context = await browser.newContext({ storageState: adminStorageState, javaScriptEnabled: false });
	const page = await context.newPage();
	const job = new CronJobPage(page);
	await job.goto(key);
	// Without the box ticked (the browser's own check bypassed), the server refuses.
	await job.confirmDelete.evaluate((el) => el.removeAttribute('required'));
	await job.deleteButton.click();
	await expect(page.getByText('Tick the box to confirm the deletion.')).toBeVisible();
	expect((await api.get(`/api/cron/jobs/${key}`)).status()).toBe(200);
	await job.confirmDelete.check();
	await job.deleteButton.click();
	await expect(page).toHaveURL(/\/admin\/cron$/);
	await expect(page.getByText(`Deleted ${key}.`)).toBeVisible();
	expect((await api.get(`/api/cron/jobs/${key}`)).status()).toBe(404);
	await context.close();
});

test('the job page has no serious accessibility violations (light and dark)', async ({ adminPage, browser, adminStorageState }) => {
	const job = new CronJobPage(adminPage);
	await job.goto('prune-executions');
	await expect(job.chart.or(adminPage.getByText('No runs yet.').first())).toBeVisible();
	await expectNoSeriousA11yViolations(adminPage);
	const context = await browser.newContext({ storageState: adminStorageState, colorScheme: 'dark' });
	const dark = await context.newPage();
	await new CronJobPage(dark).goto('prune-executions');
	await expectNoSeriousA11yViolations(dark);
	await context.close();
});

test('live updates refresh the page without resetting what is being typed (the edit form, the history filter, the alerts form)', async ({ adminPage, api }) => {
	const key = uniqueKey('e2e-typing');
	await api.createHttpJob('http://127.0.0.1:9/', { key });
	const job = new CronJobPage(adminPage);
	await job.goto(key);
	await job.waitForLive();
	const timeout = job.editForm.getByLabel('Timeout (ms)');
	await timeout.fill('4321');
	await job.schedule.fill('*/7 * * * *');
	await adminPage.getByLabel('Status', { exact: true }).selectOption('failed');
	const alerts = adminPage.getByRole('region', { name: 'Alerts' });
	await alerts.getByLabel('Slow after').fill('45m');
	await alerts.getByLabel('Alert on failure').selectOption('every');
	const id = await api.trigger(key);
	// The run arrives live (the page's loads re-ran) …
	await expect(job.run(id)).toHaveAttribute('data-status', 'failed', { timeout: 15_000 });
	// … and the edits are still there.
	await expect(timeout).toHaveValue('4321');
	await expect(job.schedule).toHaveValue('*/7 * * * *');
	await expect(adminPage.getByLabel('Status', { exact: true })).toHaveValue('failed');
	await expect(alerts.getByLabel('Slow after')).toHaveValue('45m');
	await expect(alerts.getByLabel('Alert on failure')).toHaveValue('every');
});
