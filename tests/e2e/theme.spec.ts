/**
 * The colour theme (System / Light / Dark in the admin header and on the sign-in page): each
 * choice is applied, survives reloads (a cookie; the server draws it into <html class>, so the
 * first paint is right without any script), System follows the emulated prefers-color-scheme,
 * the toggle works without JavaScript (a form post answered 303 back) and with it under the
 * app's CSP (no violation), and the pages pass axe in light and dark.
 */
import type { Browser, Page } from '@playwright/test';
import { expectNoSeriousA11yViolations } from './helpers/axe';
import { formHeaders } from './helpers/accounts';
import { expect, test } from './fixtures';

/** body: bg-white, dark:bg-slate-950 (Tailwind's oklch). */
const LIGHT_BG = 'rgb(255, 255, 255)';
const DARK_BG = /^oklch\(0\.129 /;

async function drawn(page: Page, look: 'light' | 'dark') {
	const body = page.locator('body');
	if (look === 'light') await expect(body).toHaveCSS('background-color', LIGHT_BG);
	else await expect(body).toHaveCSS('background-color', DARK_BG);
}

async function themeContext(browser: Browser, opts: { storageState?: string; baseURL?: string; javaScript: boolean }) {
	const context = await browser.newContext({ storageState: opts.storageState, baseURL: opts.baseURL, javaScriptEnabled: opts.javaScript, colorScheme: 'light' });
	const page = await context.newPage();
	const violations: string[] = [];
	page.on('console', (m) => {
		if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
	});
	return { context, page, violations };
}

for (const javaScript of [false, true]) {
	test(`each theme is applied and remembered across reloads; System follows the OS (JavaScript ${javaScript ? 'on' : 'off'})`, async ({ browser, adminStorageState, baseURL }) => {
		test.setTimeout(60_000);
		const { context, page, violations } = await themeContext(browser, { storageState: adminStorageState, baseURL, javaScript });
		const html = page.locator('html');
		const toggle = page.getByRole('group', { name: 'Theme' });
		const pick = async (name: 'System' | 'Light' | 'Dark') => {
			const posted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/theme');
			await toggle.getByRole('button', { name, exact: true }).click();
			const r = await posted;
			// The form's answer: 303 back to the page it was posted from (followed without JavaScript).
			expect(r.status()).toBe(303);
			expect(r.headers().location).toBe('/admin/cron?sort=name');
			await expect(toggle.getByRole('button', { name, exact: true })).toHaveAttribute('aria-pressed', 'true');
		};

		await page.goto('/admin/cron?sort=name');
		await expect(html).not.toHaveClass(/dark|light/);
		await expect(toggle.getByRole('button', { name: 'System' })).toHaveAttribute('aria-pressed', 'true');
		await drawn(page, 'light');

		await pick('Dark');
		await drawn(page, 'dark');
		await page.reload();
		await expect(html).toHaveClass('dark');
		await drawn(page, 'dark');
		// An explicit choice ignores the operating system's setting.
		await page.emulateMedia({ colorScheme: 'dark' });
		await pick('Light');
		await drawn(page, 'light');
		await page.reload();
		await expect(html).toHaveClass('light');
		await drawn(page, 'light');

		// System: no class, the OS decides (emulated dark, then light).
		await pick('System');
		await expect(html).not.toHaveClass(/dark|light/);
		await drawn(page, 'dark');
		await page.reload();
		await expect(html).not.toHaveClass(/dark|light/);
		await drawn(page, 'dark');
		await page.emulateMedia({ colorScheme: 'light' });
		await drawn(page, 'light');
		expect(violations).toEqual([]);
		await context.close();
	});
}

test('the sign-in page has the toggle too, without JavaScript', async ({ browser, baseURL }) => {
	const { context, page } = await themeContext(browser, { baseURL, javaScript: false });
	await page.goto('/login');
	await page.getByRole('group', { name: 'Theme' }).getByRole('button', { name: 'Dark' }).click();
	await expect(page).toHaveURL(/\/login$/);
	await expect(page.locator('html')).toHaveClass('dark');
	await drawn(page, 'dark');
	await context.close();
});

test('the server draws the theme into <html> (no script, no flash), and refuses an unknown one naming the field', async ({ request, baseURL }) => {
	const dark = await request.get('/login', { headers: { cookie: 'cronkit_theme=dark' } });
	expect(await dark.text()).toContain('<html lang="en" class="dark">');
	const system = await request.get('/login', { headers: { cookie: 'cronkit_theme=nonsense' } });
	expect(await system.text()).toContain('<html lang="en">');
	const bad = await request.post('/theme', { form: { theme: 'purple', redirectTo: '/login' }, headers: formHeaders(baseURL!), maxRedirects: 0 });
	expect(bad.status()).toBe(400);
	expect(await bad.text()).toContain('theme: must be one of system, light, dark');
	// Only same-origin paths are gone back to.
	const away = await request.post('/theme', { form: { theme: 'light', redirectTo: '//evil.example/x' }, headers: formHeaders(baseURL!), maxRedirects: 0 });
	expect(away.status()).toBe(303);
	expect(away.headers().location).toBe('/');
});

test('the admin pages and the sign-in page pass axe in light and dark', async ({ browser, adminStorageState, baseURL }) => {
	test.setTimeout(60_000);
	for (const look of ['light', 'dark'] as const) {
		const { context, page } = await themeContext(browser, { storageState: adminStorageState, baseURL, javaScript: true });
		await page.goto('/admin/cron');
		await page.getByRole('group', { name: 'Theme' }).getByRole('button', { name: look === 'dark' ? 'Dark' : 'Light' }).click();
		await drawn(page, look);
		for (const path of ['/admin', '/admin/cron', '/admin/account', '/admin/alerts']) {
			await page.goto(path);
			await drawn(page, look);
			await expectNoSeriousA11yViolations(page);
		}
		await context.close();
		// Signed out: the sign-in page.
		const out = await themeContext(browser, { baseURL, javaScript: true });
		await out.page.goto('/login');
		await out.page.getByRole('group', { name: 'Theme' }).getByRole('button', { name: look === 'dark' ? 'Dark' : 'Light' }).click();
		await out.page.reload();
		await drawn(out.page, look);
		await expect(out.page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
		await expectNoSeriousA11yViolations(out.page);
		await out.context.close();
	}
});
