/** Bulk actions on the job list (select → Run now / Enable / Disable) and Retry of a failed run. */
import { CronListPage } from '../pages/cron-list';
import { CronRunPage } from '../pages/cron-run';
import { expect, test, uniqueKey } from './cron-test';

for (const js of [true, false]) {
	test(`bulk Disable, Enable and Run now act on the checked jobs only (JavaScript ${js ? 'on' : 'off'})`, async ({ browser, adminStorageState, api }) => {
		const context = await browser.newContext({ storageState: adminStorageState, javaScriptEnabled: js });
		const page = await context.newPage();
		const prefix = uniqueKey('e2e-bulk');
		const [a, b, c] = ['a', 'b', 'c'].map((s) => `${prefix}-${s}`) as [string, string, string];
		for (const key of [a, b, c]) await api.createHttpJob('http://127.0.0.1:9/', { key });
		const job = async (key: string) => (await (await api.get(`/api/cron/jobs/${key}`)).json()).job;
		const runs = async (key: string) => (await (await api.get(`/api/cron/jobs/${key}/executions`)).json()).executions.length as number;

		const list = new CronListPage(page);
		await list.goto(`?q=${prefix}`);
		expect(await list.rowKeys()).toEqual([a, b, c]);
		await list.select(a).check();
		await list.select(c).check();
		await list.bulk('Disable').click();
		await expect(list.flash).toContainText('2 jobs disabled.');
		await expect(list.row(a)).toHaveAttribute('data-state', 'disabled');
		await expect(list.row(b)).toHaveAttribute('data-state', 'idle');
		await expect(list.row(c)).toHaveAttribute('data-state', 'disabled');
		expect([(await job(a)).enabled, (await job(b)).enabled, (await job(c)).enabled]).toEqual([false, true, false]);

		// The checked boxes are cleared by the redirect; already-enabled jobs are counted apart.
		await list.select(a).check();
		await list.select(b).check();
		await list.bulk('Enable').click();
		await expect(list.flash).toContainText('1 job enabled (1 already enabled).');
		await expect(list.row(a)).toHaveAttribute('data-state', 'idle');

		await list.select(b).check();
		await list.select(c).check();
		await list.bulk('Run now').click();
		await expect(list.flash).toContainText(new RegExp(`2 runs queued: #\\d+ of ${b}, #\\d+ of ${c}\\.`));
		expect([await runs(a), await runs(b), await runs(c)]).toEqual([0, 1, 1]);

		// Nothing checked: refused with a message, nothing done.
		await list.bulk('Run now').click();
		await expect(list.notice.filter({ hasText: 'Select at least one job first.' })).toBeVisible();
		expect([await runs(a), await runs(b), await runs(c)]).toEqual([0, 1, 1]);
		await context.close();
	});
}

test('Retry on a failed run queues a new manual run, attempt 1, that points at the failed one', async ({ adminPage, api, selfURL }) => {
	const key = uniqueKey('e2e-retry');
	await api.createHttpJob('http://127.0.0.1:9/', { key, maxRetries: 0 });
	const failed = await api.trigger(key);
	await api.waitForStatus(failed, ['failed']);

	const run = new CronRunPage(adminPage);
	await run.goto(key, failed);
	await run.waitForLive();
	// The failure names its cause, not undici's "fetch failed".
	await expect(run.error).toContainText('ECONNREFUSED 127.0.0.1:9');
	await expect(run.error).not.toContainText('fetch failed');
	await run.retry.click();
	await expect(run.flash).toContainText(new RegExp(`Run #\\d+ of ${key} queued \\(a retry of #${failed}\\)`));
	const id = Number((await run.flash.textContent())!.match(/Run #(\d+)/)![1]);
	expect(id).toBeGreaterThan(failed);
	const retry = await api.execution(id);
	expect(retry).toMatchObject({ trigger: 'manual', attempt: 1, retryOf: failed });

	await run.flash.getByRole('link', { name: `View run #${id}` }).click();
	await expect(run.heading).toHaveText(`Run #${id}`);
	await expect(run.details.getByRole('link', { name: `#${failed}`, exact: true })).toBeVisible();

	// A run that succeeded has no Retry, and the API refuses it with 409.
	const okKey = uniqueKey('e2e-retry-ok');
	await api.createHttpJob(`${selfURL}/healthz`, { key: okKey });
	const ok = await api.trigger(okKey);
	await api.waitForStatus(ok, ['succeeded']);
	await run.goto(okKey, ok);
	await expect(run.status).toContainText('succeeded');
	await expect(run.retry).toHaveCount(0);
	expect((await api.post(`/api/cron/executions/${ok}/retry`)).status()).toBe(409);
});
