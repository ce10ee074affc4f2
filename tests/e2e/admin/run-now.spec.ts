/**
 * Run now, watched live (Server-Sent Events): the run appears and moves to its final status on
 * the list, the job page and the run page without a reload. The job calls a slow local server
 * (4 s, so that a loaded machine still shows the run `running` before it ends).
 */
import { startServer, type TestServer } from '../helpers/http-server';
import { CronJobPage } from '../pages/cron-job';
import { CronListPage } from '../pages/cron-list';
import { CronRunPage } from '../pages/cron-run';
import { expect, test, uniqueKey } from './cron-test';

let slow: TestServer;
test.beforeAll(async () => {
	slow = await startServer({ body: 'slow but fine', delayMs: 4_000 });
});
test.afterAll(async () => {
	await slow.close();
});

/** A marker that a reload would wipe out. */
async function markPage(page: import('@playwright/test').Page) {
	await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
	return async () => expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
}

test('on the job page: the run appears, runs and succeeds live', async ({ adminPage, api }) => {
	const key = uniqueKey('e2e-live');
	await api.createHttpJob(slow.url, { key });
	const job = new CronJobPage(adminPage);
	await job.goto(key);
	await job.waitForLive();
	const stillSamePage = await markPage(adminPage);
	await job.runNow.click();
	await expect(job.notice).toContainText(/Run #\d+ of .* queued/);
	const id = await job.queuedRunId();
	await expect(job.run(id)).toBeVisible();
	await expect(job.run(id)).toHaveAttribute('data-status', 'running', { timeout: 10_000 });
	await expect(job.run(id)).toHaveAttribute('data-status', 'succeeded', { timeout: 15_000 });
	await expect(job.stats).toContainText('100%');
	await stillSamePage();
});

test('on the list: the last run moves to succeeded live', async ({ adminPage, api }) => {
	const key = uniqueKey('e2e-live-list');
	await api.createHttpJob(slow.url, { key });
	const list = new CronListPage(adminPage);
	await list.goto(`?q=${key}`);
	await list.waitForLive();
	const stillSamePage = await markPage(adminPage);
	await expect(list.row(key)).toContainText('never');
	await list.runNow(key).click();
	await expect(list.row(key)).toHaveAttribute('data-state', 'running', { timeout: 10_000 });
	await expect(list.lastStatus(key)).toContainText('succeeded', { timeout: 15_000 });
	await expect(list.row(key)).toHaveAttribute('data-state', 'idle');
	await expect(list.row(key)).toContainText('100%');
	await stillSamePage();
});

test('on the run page: queued or running, then succeeded, with its output', async ({ adminPage, api }) => {
	const key = uniqueKey('e2e-live-run');
	await api.createHttpJob(slow.url, { key });
	const id = await api.trigger(key);
	const run = new CronRunPage(adminPage);
	await run.goto(key, id);
	await expect(run.status).toContainText(/queued|running/);
	await run.waitForLive();
	const stillSamePage = await markPage(adminPage);
	await expect(run.status).toContainText('succeeded', { timeout: 15_000 });
	await expect(run.output).toContainText('200 OK');
	await expect(run.output).toContainText('slow but fine');
	await expect(run.timeline).toContainText('took');
	await stillSamePage();
});

test('Cancel stops a running run', async ({ adminPage, api }) => {
	const hang = await startServer({ delayMs: 60_000 });
	try {
		const key = uniqueKey('e2e-cancel');
		await api.createHttpJob(hang.url, { key });
		const id = await api.trigger(key);
		await api.waitForStatus(id, ['running']);
		const run = new CronRunPage(adminPage);
		await run.goto(key, id);
		await run.cancel.click();
		await expect(run.status).toContainText('cancelled', { timeout: 10_000 });
		await expect(run.cancel).toHaveCount(0);
		await expect(run.error).toContainText('cancelled by admin@example.com');
	} finally {
		await hang.close();
	}
});

test('a failed run links to its retries, each its own run', async ({ adminPage, api }) => {
	const key = uniqueKey('e2e-retry');
	await api.createHttpJob('http://127.0.0.1:9/', { key, maxRetries: 1 });
	const id = await api.trigger(key);
	await api.waitForStatus(id, ['failed']);
	const run = new CronRunPage(adminPage);
	await run.goto(key, id);
	// The retry is queued about a second later (backoff), then fails too; the page follows live.
	await run.waitForLive();
	await expect(run.retryChain.getByRole('link')).toHaveCount(1, { timeout: 15_000 });
	await expect(run.retryChain.getByRole('link')).toContainText(/attempt 2/);
	await run.retryChain.getByRole('link').click();
	await expect(run.heading).not.toHaveText(`Run #${id}`);
	await expect(run.details).toContainText('retry');
	await expect(run.details.getByRole('link', { name: `#${id}`, exact: true })).toBeVisible();
});
