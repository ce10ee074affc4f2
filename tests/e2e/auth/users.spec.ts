import { randomBytes } from 'node:crypto';
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { formHeaders } from '../helpers/accounts';
import { expect, test } from '../fixtures';
import { UsersPage } from '../pages/users';

const uniqueEmail = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}@example.com`;

test.describe('/admin/users as an admin', () => {
	test('adds a user with a generated password shown once, who can then sign in', async ({ adminPage, browser }) => {
		const users = new UsersPage(adminPage);
		await users.goto();
		const email = uniqueEmail('new');
		await users.add(email, 'viewer');
		await expect(users.notice).toContainText(`Added ${email} as viewer.`);
		const password = (await adminPage.getByTestId('generated-password').textContent())!.trim();
		expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
		await expect(users.row(email)).toContainText('viewer');
		await expect(users.row(email)).toContainText('offline');
		// created: relative and absolute, spaced ("just now · 2026-11-22 08:10 UTC")
		await expect(users.row(email).locator('time')).toHaveText(/^(just now|.+ ago) · \d{4}-\d{2}-\d{2} \d{2}:\d{2}/);

		// Shown once: a reload no longer has it.
		await adminPage.reload();
		await expect(adminPage.getByTestId('generated-password')).toHaveCount(0);

		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto('/login?redirectTo=%2Fadmin%2Fusers');
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password').fill(password);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page).toHaveURL('/admin/users');
		await context.close();

		await adminPage.reload();
		await expect(users.row(email)).toContainText('online');
	});

	test('refuses a taken email with a clear message', async ({ adminPage, viewerAccount, viewerPage: _ensureViewer }) => {
		const users = new UsersPage(adminPage);
		await users.goto();
		await users.add(viewerAccount.email.toUpperCase(), 'viewer', 'some-password-1');
		await expect(adminPage.getByRole('alert').first()).toContainText('A user with this email already exists');
		await expect(users.newEmail).toHaveAttribute('aria-invalid', 'true');
	});

	test('changes a role and deletes a user after confirming, never themselves', async ({ adminPage }) => {
		const users = new UsersPage(adminPage);
		await users.goto();
		const email = uniqueEmail('temp');
		await users.add(email, 'viewer', 'temp-password-1');
		await expect(users.row(email)).toBeVisible();

		await users.row(email).getByRole('button', { name: 'Make admin' }).click();
		await expect(users.notice).toContainText(`${email} is now an admin.`);
		await expect(users.row(email).getByRole('cell').nth(1)).toHaveText('admin');

		await users.row(email).getByRole('button', { name: 'Delete' }).click();
		const dialog = adminPage.getByRole('alertdialog');
		await expect(dialog).toContainText(`Delete ${email}?`);
		await dialog.getByRole('button', { name: 'Go back' }).click();
		await expect(users.row(email)).toBeVisible();
		await users.row(email).getByRole('button', { name: 'Delete' }).click();
		await dialog.getByRole('button', { name: 'Delete' }).click();
		await expect(users.notice).toContainText(`Deleted ${email}.`);
		await expect(users.row(email)).toHaveCount(0);

		// Their own row offers no actions.
		await expect(users.row('admin@example.com').getByRole('button')).toHaveCount(0);
	});

	test('has no serious accessibility violations, and fits a phone', async ({ adminPage }) => {
		const users = new UsersPage(adminPage);
		await users.goto();
		await expect(users.heading).toBeVisible();
		await expectNoSeriousA11yViolations(adminPage);

		await adminPage.setViewportSize({ width: 375, height: 740 });
		await expect(users.shell.navLink('Users')).toBeVisible();
		await expect(users.shell.navLink('Users')).toHaveAttribute('aria-current', 'page');
		const overflow = await adminPage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		expect(overflow).toBeLessThanOrEqual(0);
	});
});

test.describe('/admin/users as a viewer', () => {
	test('is read-only: the list, but no forms', async ({ viewerPage, viewerAccount }) => {
		const users = new UsersPage(viewerPage);
		await users.goto();
		await expect(users.row(viewerAccount.email)).toContainText('viewer');
		await expect(users.shell.user).toContainText(viewerAccount.email);
		await expect(users.shell.user).toContainText('viewer');
		await expect(users.addForm).toHaveCount(0);
		await expect(users.table.getByRole('button')).toHaveCount(0);
		await expect(viewerPage.locator('form[action^="?/"]')).toHaveCount(0);
		await expectNoSeriousA11yViolations(viewerPage);
	});

	test('gets 403 for a forged post to any users action', async ({ viewerPage, baseURL }) => {
		for (const [action, form] of [
			['create', { email: uniqueEmail('forged'), role: 'admin', password: 'forged-password-1' }],
			['role', { id: 'whatever', role: 'admin' }],
			['delete', { id: 'whatever' }]
		] as const) {
			const res = await viewerPage.request.post(`/admin/users?/${action}`, { form, headers: formHeaders(baseURL!), maxRedirects: 0 });
			expect(res.status(), action).toBe(403);
			const enhanced = await viewerPage.request.post(`/admin/users?/${action}`, { form, headers: { origin: baseURL!, accept: 'application/json' }, maxRedirects: 0 });
			expect(enhanced.status(), action).toBe(403);
		}
	});
});

test.describe('the admin shell', () => {
	test('has a skip link, the navigation, the user and a main landmark', async ({ adminPage }) => {
		const users = new UsersPage(adminPage);
		await users.goto();
		const shell = users.shell;
		for (const name of ['Cron jobs', 'Runs', 'Settings', 'Audit', 'Users', 'Sessions', 'Email']) await expect(shell.navLink(name)).toBeVisible();
		await expect(shell.navLink('Cron jobs')).toHaveAttribute('href', '/admin/cron');
		await expect(shell.navLink('Runs')).toHaveAttribute('href', '/admin/cron/executions');
		await expect(shell.main).toBeVisible();
		await adminPage.keyboard.press('Tab');
		await expect(shell.skipLink).toBeFocused();
		await adminPage.keyboard.press('Enter');
		await expect(adminPage).toHaveURL(/#main$/);
	});

	test('/admin is the overview, first in the navigation', async ({ adminPage }) => {
		await adminPage.goto('/admin');
		await expect(adminPage).toHaveURL('/admin');
		await expect(adminPage.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
		await expect(adminPage.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');
	});
});

test.describe('the cron API with a session cookie', () => {
	test('admins read and write, viewers only read', async ({ adminPage, viewerPage, baseURL }) => {
		const list = await adminPage.request.get('/api/cron/jobs');
		expect(list.status()).toBe(200);
		expect((await list.json()).jobs.length).toBeGreaterThan(0);

		const key = `cookie-${randomBytes(4).toString('hex')}`;
		const job = { key, name: 'Cookie job', type: 'http', schedule: '0 0 1 1 *', params: { url: 'http://127.0.0.1:1/' } };
		const created = await adminPage.request.post('/api/cron/jobs', { data: job, headers: { origin: baseURL! } });
		expect(created.status(), await created.text()).toBe(201);

		expect((await viewerPage.request.get(`/api/cron/jobs/${key}`)).status()).toBe(200);
		for (const [method, path] of [
			['POST', '/api/cron/jobs'],
			['PATCH', `/api/cron/jobs/${key}`],
			['DELETE', `/api/cron/jobs/${key}`],
			['POST', `/api/cron/jobs/${key}/trigger`]
		] as const) {
			const res = await viewerPage.request.fetch(path, { method, data: method === 'DELETE' ? undefined : { ...job, key: `${key}-x` } });
			expect(res.status(), `${method} ${path}`).toBe(403);
			expect((await res.json()).error.code).toBe('forbidden');
		}

		const removed = await adminPage.request.delete(`/api/cron/jobs/${key}`);
		expect(removed.status()).toBe(204);
	});
});
