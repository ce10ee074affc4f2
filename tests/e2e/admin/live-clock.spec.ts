/**
 * One live clock for every relative time, seconds where they matter, and the "Run #N queued"
 * message that follows its run live.
 */
import { CronJobPage } from '../pages/cron-job';
import { CronListPage } from '../pages/cron-list';
import { expect, test, uniqueKey } from './cron-test';

test('a finished run never reads "in N seconds" with a browser clock behind the server; times carry seconds', async ({ adminPage, api, selfURL }) => {
	const key = uniqueKey('e2e-clock');
	await api.createHttpJob(`${selfURL}/healthz`, { key });
	await api.waitForStatus(await api.trigger(key), ['succeeded']);
	// The browser's clock 20 s behind the server's.
	await adminPage.clock.install({ time: Date.now() - 20_000 });
	const list = new CronListPage(adminPage);
	await list.goto(`?q=${key}`);
	await list.waitForLive();
	const lastRun = list.lastStatus(key).locator('time');
	await expect(lastRun).toHaveText(/^(just now|\d+ seconds? ago) · \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
	await expect(lastRun).not.toHaveText(/in \d+/);
	const job = new CronJobPage(adminPage);
	await job.goto(key);
	await job.waitForLive();
	await expect(adminPage.getByText(/Last changed/).locator('time')).not.toHaveText(/in \d+/);
});

test('a coming run counts down on the live clock without a reload', async ({ adminPage, api, selfURL }) => {
	const key = uniqueKey('e2e-countdown');
	// Every 10 seconds: the next run is always seconds away.
	await api.createHttpJob(`${selfURL}/healthz`, { key, schedule: '*/10 * * * * *' });
	const job = new CronJobPage(adminPage);
	await job.goto(key);
	await job.waitForLive();
	const next = job.nextRun.locator('time');
	await expect(next).toHaveText(/^(in \d+ seconds?|due now) · \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
	const first = await next.textContent();
	await expect.poll(() => next.textContent(), { timeout: 5_000 }).not.toBe(first);
	await api.post(`/api/cron/jobs/${key}/disable`);
});

test('the "Run #N queued" message follows its run until it ends', async ({ adminPage, api, selfURL }) => {
	const key = uniqueKey('e2e-banner');
	await api.createHttpJob(`${selfURL}/healthz`, { key });
	const list = new CronListPage(adminPage);
	await list.goto(`?q=${key}`);
	await list.waitForLive();
	await list.runNow(key).click();
	await expect(list.flash).toContainText(new RegExp(`Run #\\d+ of ${key} queued`));
	await expect(adminPage.getByTestId('flash-run-status')).toHaveAttribute('data-status', 'succeeded', { timeout: 15_000 });
	await expect(adminPage.getByTestId('flash-run-status')).toContainText('succeeded');
});
