/** /admin/cron/executions (filters, keyset pages), /admin/cron/settings and /admin/audit. */
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { AuditPage } from '../pages/audit';
import { CronJobPage } from '../pages/cron-job';
import { CronSettingsPage } from '../pages/cron-settings';
import { RunsPage } from '../pages/cron-runs';
import { expect, test, uniqueKey } from './cron-test';

test('all runs: filter by job and status, page with Older and Newer', async ({ adminPage, api }) => {
	const key = uniqueKey('e2e-runs');
	await api.createHttpJob('http://127.0.0.1:9/', { key, overlap: 'allow' });
	const ids: number[] = [];
	for (let i = 0; i < 27; i++) ids.push(await api.trigger(key));
	for (const id of ids) await api.waitForStatus(id, ['failed']);
	const runs = new RunsPage(adminPage);
	await runs.goto();
	await runs.waitForLive();
	await runs.job.fill(key);
	await runs.status.selectOption('failed');
	await runs.filter.click();
	await expect(adminPage).toHaveURL(new RegExp(`job=${key}`));
	const newest = [...ids].sort((a, b) => b - a);
	await expect.poll(() => runs.runIds()).toEqual(newest.slice(0, 25));
	await runs.older.click();
	await expect.poll(() => runs.runIds()).toEqual(newest.slice(25));
	await expect(runs.older).toHaveCount(0);
	await runs.newer.click();
	await expect.poll(() => runs.runIds()).toEqual(newest.slice(0, 25));
	await runs.goto(`?job=${key}&status=succeeded`);
	await expect(runs.table).toContainText('No runs match');
	// Triggered through the API: trigger `api` (a filter no index serves, on a bounded scan).
	await runs.goto(`?job=${key}&trigger=api`);
	expect((await runs.runIds()).length).toBe(25);
	await runs.goto(`?job=${key}&trigger=manual`);
	await expect(runs.table).toContainText('No runs match');
	await expectNoSeriousA11yViolations(adminPage);

	// The job's own history pages the same way.
	const job = new CronJobPage(adminPage);
	await job.goto(key);
	await expect(job.history.locator('tr[data-run-id]')).toHaveCount(25);
	await job.older.click();
	await expect(job.history.locator('tr[data-run-id]')).toHaveCount(2);
	await expect(job.stats).toContainText('0%');
});

test('a time range that matches nothing, and a bad one, are handled', async ({ adminPage }) => {
	const runs = new RunsPage(adminPage);
	await runs.goto('?from=2001-01-01T00:00&to=2001-01-02T00:00');
	await expect(runs.table).toContainText('No runs match');
	await runs.goto('?from=2030-01-02T00:00&to=2030-01-01T00:00');
	await expect(adminPage.getByText('must be after From')).toBeVisible();
	await runs.goto('?from=2000-01-01T00:00');
	expect((await runs.runIds()).length).toBeGreaterThan(0);
});

test('settings: a change is saved, validated, and audited with before and after', async ({ adminPage, api }) => {
	const settings = new CronSettingsPage(adminPage);
	await settings.goto();
	const before = Number(await settings.retentionDays.inputValue());
	await settings.retentionDays.fill('0');
	await settings.save.click();
	await expect(settings.notice).toContainText(/retentionDays/);
	await expect(settings.retentionDays).toHaveValue('0');
	const next = before === 45 ? 46 : 45;
	await settings.retentionDays.fill(String(next));
	await settings.save.click();
	await expect(settings.notice).toContainText('Settings saved.');
	await adminPage.reload();
	await expect(settings.retentionDays).toHaveValue(String(next));
	await expectNoSeriousA11yViolations(adminPage);

	const audit = new AuditPage(adminPage);
	await audit.goto('?entity=settings');
	const entry = audit.entries('settings.update').first();
	await expect(entry).toContainText('admin@example.com');
	await expect(entry).toContainText(`executions.retentionDays: ${before}`);
	await expect(entry).toContainText(String(next));
	await expectNoSeriousA11yViolations(adminPage);
	await api.patch('/api/cron/settings', { data: { 'executions.retentionDays': before } });
});

test('a job change made in the UI shows on /admin/audit with before and after', async ({ adminPage, api }) => {
	const key = uniqueKey('e2e-audit');
	await api.createHttpJob('http://127.0.0.1:9/', { key });
	const job = new CronJobPage(adminPage);
	await job.goto(key);
	await job.disable.click();
	await expect(job.enable).toBeVisible();
	const audit = new AuditPage(adminPage);
	await audit.goto(`?entity=cron_job&entityId=${key}`);
	const disabled = audit.entries('job.disable').first();
	await expect(disabled).toContainText('admin@example.com');
	await expect(disabled).toContainText('enabled: true');
	await expect(disabled).toContainText('false');
	await expect(audit.entries('job.create')).toHaveCount(1);
	await expect(audit.entries('job.create')).toContainText('api');
});
