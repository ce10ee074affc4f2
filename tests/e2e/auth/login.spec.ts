import { randomBytes } from 'node:crypto';
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { ADMIN, formHeaders } from '../helpers/accounts';
import { expect, test } from '../fixtures';
import { AdminShell } from '../pages/admin-shell';

const GENERIC = 'Incorrect email or password';
const uniqueEmail = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}@example.com`;

test.describe('login', () => {
	test('signs in and lands where the visitor was going', async ({ loginPage, page }) => {
		await loginPage.goto('/admin/users');
		await expect(loginPage.heading).toBeVisible();
		await loginPage.login(ADMIN.email, ADMIN.password);
		await expect(page).toHaveURL('/admin/users');
		await expect(new AdminShell(page).user).toContainText(ADMIN.email);
		await expect(new AdminShell(page).user).toContainText('admin');
	});

	test('goes to the cron jobs list by default', async ({ loginPage, page }) => {
		await loginPage.goto();
		await loginPage.login(ADMIN.email.toUpperCase(), ADMIN.password);
		await expect(page).toHaveURL('/admin/cron');
	});

	test('shows one generic error for a wrong password and for an unknown email', async ({ loginPage, page }) => {
		await loginPage.goto();
		await loginPage.login(ADMIN.email, 'not-the-password');
		await expect(loginPage.error).toHaveText(GENERIC);
		await expect(loginPage.email).toHaveValue(ADMIN.email);
		await expect(page).toHaveURL('/login');

		await loginPage.login(uniqueEmail('nobody'), 'whatever-password');
		await expect(loginPage.error).toHaveText(GENERIC);
	});

	test('never redirects off-site after signing in', async ({ loginPage, page }) => {
		await loginPage.goto('https://evil.example/phish');
		await loginPage.login(ADMIN.email, ADMIN.password);
		await expect(page).toHaveURL('/admin/cron');
	});

	test('throttles repeated failures with 429 and Retry-After', async ({ request, loginPage, baseURL }) => {
		const email = uniqueEmail('throttled');
		const post = () => request.post('/login', { form: { email, password: 'wrong-password' }, headers: formHeaders(baseURL!), maxRedirects: 0 });
		for (let i = 0; i < 10; i++) expect((await post()).status()).toBe(400);
		const res = await post();
		expect(res.status()).toBe(429);
		const retryAfter = Number(res.headers()['retry-after']);
		expect(retryAfter).toBeGreaterThan(800);
		expect(retryAfter).toBeLessThanOrEqual(900);

		// The browser shows it too (enhanced form).
		await loginPage.goto();
		await loginPage.login(email, 'wrong-password');
		await expect(loginPage.error).toContainText('Too many failed sign-in attempts');
	});

	test('refuses a cross-site form post (CSRF)', async ({ request, baseURL }) => {
		const res = await request.post('/login', {
			form: { email: ADMIN.email, password: ADMIN.password },
			headers: { ...formHeaders(baseURL!), origin: 'https://evil.example' },
			maxRedirects: 0
		});
		expect(res.status()).toBe(403);
		expect(await res.text()).toContain('Cross-site POST form submissions are forbidden');
		expect(res.headers()['set-cookie']).toBeUndefined();
	});

	test('sets an HttpOnly, SameSite=Lax session cookie', async ({ loginPage, page, context }) => {
		await loginPage.goto('/admin/users');
		await loginPage.login(ADMIN.email, ADMIN.password);
		await expect(page).toHaveURL('/admin/users');
		const cookie = (await context.cookies()).find((c) => c.name === 'cronkit_session');
		expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });
		expect(cookie!.value).toMatch(/^[a-z2-9]{24}\.[a-z2-9]{24}$/);
		expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000 + 6 * 86_400);
	});

	test('works without JavaScript', async ({ browser }) => {
		const context = await browser.newContext({ javaScriptEnabled: false });
		const page = await context.newPage();
		await page.goto('/login?redirectTo=%2Fadmin%2Fusers');
		await page.getByLabel('Email').fill(ADMIN.email);
		await page.getByLabel('Password').fill('wrong-password');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page.getByRole('alert')).toHaveText(GENERIC);
		await page.getByLabel('Password').fill(ADMIN.password);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page).toHaveURL('/admin/users');
		await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
		await context.close();
	});

	test('has no serious accessibility violations', async ({ loginPage, page }) => {
		await loginPage.goto();
		await expectNoSeriousA11yViolations(page);
		await loginPage.login(ADMIN.email, 'wrong-password');
		await expect(loginPage.error).toBeVisible();
		await expectNoSeriousA11yViolations(page);
	});

	test('sends signed-in visitors of /login on to the app', async ({ adminPage }) => {
		await adminPage.goto('/login?redirectTo=%2Fadmin%2Fusers');
		await expect(adminPage).toHaveURL('/admin/users');
	});
});

test.describe('signed out', () => {
	test('visiting /admin/cron redirects to /login and comes back after signing in', async ({ page, loginPage }) => {
		await page.goto('/admin/cron?status=failed');
		await expect(page).toHaveURL('/login?redirectTo=%2Fadmin%2Fcron%3Fstatus%3Dfailed');
		await loginPage.login(ADMIN.email, ADMIN.password);
		await expect(page).toHaveURL('/admin/cron?status=failed');
	});

	test('every admin page redirects to /login', async ({ request }) => {
		for (const path of ['/admin', '/admin/cron', '/admin/users', '/admin/cron/executions', '/admin/audit', '/admin/no-such-page']) {
			const res = await request.get(path, { maxRedirects: 0 });
			expect(res.status(), path).toBe(303);
			expect(res.headers().location, path).toMatch(/^\/login\?redirectTo=/);
		}
		// A client-side navigation's data request gets the redirect too, never the data.
		const data = await request.get('/admin/users/__data.json?x-sveltekit-invalidated=01', { maxRedirects: 0 });
		expect(await data.json()).toEqual({ type: 'redirect', location: '/login?redirectTo=%2Fadmin%2Fusers' });
	});

	test('a forged form post to an admin action is turned away', async ({ request, baseURL }) => {
		const res = await request.post('/admin/users?/create', {
			form: { email: uniqueEmail('forged'), role: 'admin', password: 'forged-password' },
			headers: formHeaders(baseURL!),
			maxRedirects: 0
		});
		expect(res.status()).toBe(303);
		expect(res.headers().location).toMatch(/^\/login/);
	});
});

test.describe('logout', () => {
	test('is a POST that ends the session server-side', async ({ browser, loginPage: _unused }) => {
		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto('/login?redirectTo=%2Fadmin%2Fusers');
		await page.getByLabel('Email').fill(ADMIN.email);
		await page.getByLabel('Password').fill(ADMIN.password);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page).toHaveURL('/admin/users');
		const token = (await context.cookies()).find((c) => c.name === 'cronkit_session')!.value;

		// A GET (a forged link) does not sign out.
		await page.goto('/logout');
		await expect(page).toHaveURL('/admin');

		await page.goto('/admin/users');
		await new AdminShell(page).logout.click();
		await expect(page).toHaveURL('/login');
		expect((await context.cookies()).find((c) => c.name === 'cronkit_session')).toBeUndefined();
		await page.goto('/admin/users');
		await expect(page).toHaveURL(/\/login\?redirectTo=/);

		// The old token is dead, not just forgotten by the browser.
		const replay = await context.request.get('/api/cron/jobs', { headers: { cookie: `cronkit_session=${token}` } });
		expect(replay.status()).toBe(401);
		await context.close();
	});
});
