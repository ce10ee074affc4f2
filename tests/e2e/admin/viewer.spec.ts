/** Viewers see every cron page and can change nothing: no buttons, and forged posts get 403. */
import { CronJobPage } from '../pages/cron-job';
import { CronListPage } from '../pages/cron-list';
import { CronRunPage } from '../pages/cron-run';
import { CronSettingsPage } from '../pages/cron-settings';
import { expect, test, uniqueKey } from './cron-test';

const ACTION_BUTTONS = ['Run now', 'Enable', 'Disable', 'Reset to code default', 'Delete', 'Cancel', 'Save', 'Create job', 'Save settings'];

async function expectNoActionButtons(page: import('@playwright/test').Page) {
	for (const name of ACTION_BUTTONS) await expect(page.getByRole('button', { name, exact: true })).toHaveCount(0);
}

test('a viewer sees the list, a job, a run and the settings, without any action', async ({ viewerPage, api }) => {
	const key = uniqueKey('e2e-viewer');
	await api.createHttpJob('http://127.0.0.1:9/', { key, params: { url: 'http://127.0.0.1:9/', headers: { Authorization: 'Bearer s3cret-token', 'X-Plain': 'plain-value-7' } } });
	const id = await api.trigger(key);
	await api.waitForStatus(id, ['failed']);

	const list = new CronListPage(viewerPage);
	await list.goto();
	await expect(list.row('prune-executions')).toBeVisible();
	await expect(list.row(key)).toBeVisible();
	await expect(list.newJob).toHaveCount(0);
	await expectNoActionButtons(viewerPage);

	const job = new CronJobPage(viewerPage);
	await job.goto(key);
	await expect(job.heading).toBeVisible();
	await expect(job.run(id)).toBeVisible();
	await expect(job.editForm).toHaveCount(0);
	await expectNoActionButtons(viewerPage);
	// Header values are write-only: shown as •••• beside their names, never sent to a browser.
	await expect(viewerPage.getByText('X-Plain: ••••')).toBeVisible();
	expect(await viewerPage.content()).not.toContain('s3cret-token');
	expect(await viewerPage.content()).not.toContain('plain-value-7');

	const run = new CronRunPage(viewerPage);
	await run.goto(key, id);
	await expect(run.status).toContainText('failed');
	await expectNoActionButtons(viewerPage);

	const settings = new CronSettingsPage(viewerPage);
	await settings.goto();
	await expect(settings.heading).toBeVisible();
	await expect(settings.paused).toHaveCount(0);
	await expectNoActionButtons(viewerPage);

	await viewerPage.goto('/admin/cron/new');
	await expect(viewerPage.getByText('only admins can create jobs')).toBeVisible();
	await expectNoActionButtons(viewerPage);
});

test('forged posts to every cron action are refused with 403 and change nothing', async ({ viewerPage, api, baseURL }) => {
	const key = uniqueKey('e2e-forged');
	await api.createHttpJob('http://127.0.0.1:9/', { key });
	const id = await api.trigger(key);
	const origin = new URL(baseURL!).origin;
	const posts: [string, Record<string, string>][] = [
		['/admin/cron?/runNow', { key }],
		['/admin/cron?/disable', { key }],
		['/admin/cron?/enable', { key }],
		[`/admin/cron/${key}?/runNow`, {}],
		[`/admin/cron/${key}?/disable`, {}],
		[`/admin/cron/${key}?/save`, { schedule: '* * * * *', timeoutMs: '1000', maxRetries: '0', catchUpMaxAgeMs: '0' }],
		[`/admin/cron/${key}?/delete`, { confirm: 'yes' }],
		['/admin/cron/prune-executions?/reset', {}],
		[`/admin/cron/${key}/executions/${id}?/cancel`, {}],
		['/admin/cron/new?/create', { key: uniqueKey('e2e-forged-new'), name: 'x', type: 'http', schedule: '* * * * *', url: 'http://127.0.0.1:9/' }],
		['/admin/cron/settings?/save', { paused: 'on', retentionDays: '1', defaultTimezone: 'UTC' }]
	];
	for (const [path, form] of posts) {
		const res = await viewerPage.request.post(path, { form, headers: { origin }, maxRedirects: 0, failOnStatusCode: false });
		expect(res.status(), `${path} answered ${res.status()}`).toBe(403);
	}
	const job = (await (await api.get(`/api/cron/jobs/${key}`)).json()).job;
	expect(job).toMatchObject({ enabled: true, schedule: '0 0 1 1 *' });
	expect((await (await api.get('/api/cron/settings')).json()).settings['scheduler.paused']).toBe(false);
	const runs = (await (await api.get(`/api/cron/jobs/${key}/executions`)).json()).executions;
	expect(runs).toHaveLength(1);
});
