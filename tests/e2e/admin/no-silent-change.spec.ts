/**
 * The admin app never changes what was saved without saying so: time zones (current IANA names,
 * a stored legacy name kept), the form after a failed then a successful save, and 303 after
 * every action so a reload repeats nothing (JavaScript on and off).
 */
import type { Browser, Page } from '@playwright/test';
import { CronJobPage } from '../pages/cron-job';
import { CronListPage } from '../pages/cron-list';
import { CronSettingsPage } from '../pages/cron-settings';
import { SessionsPage } from '../pages/sessions';
import { UsersPage } from '../pages/users';
import { expect, test, uniqueKey } from './cron-test';

async function page(browser: Browser, storageState: string, javaScriptEnabled: boolean): Promise<Page> {
	const context = await browser.newContext({ storageState, javaScriptEnabled });
	return context.newPage();
}

test('the zone list has current names; changing only Max retries keeps Asia/Kolkata, and a legacy name as stored', async ({ adminPage, api }) => {
	for (const zone of ['Asia/Kolkata', 'Asia/Calcutta']) {
		const key = uniqueKey('e2e-zone-kept');
		await api.createHttpJob('http://127.0.0.1:9/', { key, timezone: zone });
		const job = new CronJobPage(adminPage);
		await job.goto(key);
		await job.waitForLive();
		await expect(job.timezone).toHaveValue(zone);
		await expect(job.timezone.locator('option[value="Europe/Kyiv"]')).toHaveCount(1);
		await expect(job.timezone.locator('option[value="Asia/Kolkata"]')).toHaveCount(1);
		await job.editForm.getByLabel('Max retries').fill('4');
		await job.save.click();
		await expect(job.flash).toContainText('Saved.');
		const saved = (await (await api.get(`/api/cron/jobs/${key}`)).json()).job;
		expect(saved).toMatchObject({ maxRetries: 4, timezone: zone });
		await expect(job.timezone).toHaveValue(zone);
	}
});

test('after a failed save and a successful one, the form shows what was saved and the next save goes through', async ({ adminPage, api }) => {
	const key = uniqueKey('e2e-save-twice');
	await api.createHttpJob('http://127.0.0.1:9/', { key, schedule: '0 3 * * *' });
	const job = new CronJobPage(adminPage);
	await job.goto(key);
	await job.waitForLive();

	await job.schedule.fill('0 25 * * *');
	await job.save.click();
	await expect(job.fieldError(job.schedule)).toContainText(/hour/);

	await job.schedule.fill('45 5 * * *');
	await job.save.click();
	await expect(job.flash).toContainText('Saved.');
	await expect(job.schedule).toHaveValue('45 5 * * *');
	await expect(job.fieldError(job.schedule)).toHaveCount(0);
	await expect(job.setting('schedule')).toContainText('45 5 * * *');

	// The next change is accepted, and keeps the saved schedule.
	await job.editForm.getByLabel('Max retries').fill('2');
	await job.save.click();
	await expect(job.setting('maxRetries')).toContainText('2');
	expect((await (await api.get(`/api/cron/jobs/${key}`)).json()).job).toMatchObject({ schedule: '45 5 * * *', maxRetries: 2 });
});

for (const js of [false, true]) {
	test(`every action answers 303 back to its page with its message; a reload repeats nothing (JavaScript ${js ? 'on' : 'off'})`, async ({ browser, adminStorageState, api }) => {
		const p = await page(browser, adminStorageState, js);
		const key = uniqueKey('e2e-prg');
		await api.createHttpJob('http://127.0.0.1:9/', { key });
		const runs = async () => (await (await api.get(`/api/cron/jobs/${key}/executions`)).json()).executions.length as number;

		const list = new CronListPage(p);
		await list.goto(`?q=${key}`);
		if (js) await list.waitForLive();
		await list.runNow(key).click();
		await expect(list.flash).toContainText(new RegExp(`Run #\\d+ of ${key} queued`));
		await expect(p).toHaveURL(new RegExp(`/admin/cron\\?q=${key}$`));
		await p.reload();
		await expect(list.row(key)).toBeVisible();
		expect(await runs()).toBe(1);
		// The message was shown once.
		await expect(list.flash).toHaveCount(0);

		await list.disable(key).click();
		await expect(list.flash).toContainText(`${key} disabled.`);
		// A success, not an error banner.
		await expect(p.getByRole('status').filter({ has: list.flash })).toHaveCount(1);
		await expect(p.getByRole('alert')).toHaveCount(0);
		await expect(p).toHaveURL(new RegExp(`/admin/cron\\?q=${key}$`));

		const job = new CronJobPage(p);
		await job.goto(key);
		await job.runNow.click();
		await expect(job.flash).toContainText(/Run #\d+ of .* queued/);
		await expect(p).toHaveURL(new RegExp(`/admin/cron/${key}$`));
		await p.reload();
		await expect(job.heading).toBeVisible();
		expect(await runs()).toBe(2);

		await job.editForm.getByLabel('Max retries').fill('3');
		await job.save.click();
		await expect(job.flash).toContainText('Saved.');
		await expect(p).toHaveURL(new RegExp(`/admin/cron/${key}$`));

		const settings = new CronSettingsPage(p);
		await settings.goto();
		await settings.save.click();
		await expect(settings.flash).toContainText('Settings saved.');
		await expect(p).toHaveURL(/\/admin\/cron\/settings$/);
		await p.context().close();
	});
}

test('users and access keys without JavaScript: 303 back to the page, the value shown once, a reload creates nothing', async ({ browser, adminStorageState, api }) => {
	const p = await page(browser, adminStorageState, false);
	const users = new UsersPage(p);
	await users.goto();
	const email = `prg-${uniqueKey('u')}@example.com`;
	await users.add(email, 'viewer');
	await expect(p).toHaveURL(/\/admin\/users$/);
	await expect(p.getByTestId('flash')).toContainText(`Added ${email} as viewer.`);
	await expect(p.getByTestId('generated-password')).toHaveText(/^[A-Za-z0-9]{24}$/);
	await p.reload();
	await expect(p.getByTestId('generated-password')).toHaveCount(0);
	await expect(p.getByRole('alert')).toHaveCount(0);
	await expect(users.row(email)).toHaveCount(1);

	const sessions = new SessionsPage(p);
	await sessions.goto();
	const label = uniqueKey('prg-key');
	const key = await sessions.create(label);
	expect(key).toMatch(/^ck_/);
	await expect(p).toHaveURL(/\/admin\/sessions$/);
	await p.reload();
	await expect(sessions.createdKey).toHaveCount(0);
	const listed = (await (await api.get('/api/access-keys')).json()).accessKeys.filter((k: { label: string }) => k.label === label);
	expect(listed).toHaveLength(1);
	await p.context().close();
});
