/** The app's own error pages: an unknown job, run or address gets a styled page with where to go next; the root page links to sign in. */
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { expect, test } from './cron-test';

test('an unknown job or run inside the admin app: 404 in the app shell, navigation kept', async ({ adminPage }) => {
	for (const path of ['/admin/cron/no-such-job', '/admin/cron/no-such-job/executions/999999999']) {
		const res = await adminPage.goto(path);
		expect(res!.status(), path).toBe(404);
		await expect(adminPage.getByTestId('error-page')).toHaveAttribute('data-status', '404');
		await expect(adminPage.getByRole('heading', { level: 1, name: 'Not found' })).toBeVisible();
		await expect(adminPage.getByRole('navigation', { name: 'Admin' })).toBeVisible();
		await expect(adminPage.getByTestId('error-page').getByRole('link', { name: 'Cron jobs' })).toBeVisible();
	}
	await expectNoSeriousA11yViolations(adminPage);
});

test('an unknown address outside the admin app, and the root page, without JavaScript', async ({ browser }) => {
	const context = await browser.newContext({ javaScriptEnabled: false });
	const page = await context.newPage();
	const res = await page.goto('/no-such-page');
	expect(res!.status()).toBe(404);
	await expect(page.getByRole('heading', { level: 1, name: 'Not found' })).toBeVisible();
	await expect(page.getByTestId('error-page').getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', /\/login$/);
	await page.goto('/');
	await page.getByRole('link', { name: 'Sign in' }).click();
	await expect(page).toHaveURL(/\/login$/);
	await context.close();
});
