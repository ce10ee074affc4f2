/**
 * /admin/account: any signed-in user (a viewer here) changes their own password, with JavaScript
 * and without: reached from the signed-in email in the header; a wrong current password is a 400
 * beside its field; success is a 303 with its message, the user's other session is signed out
 * while this one stays, the old password no longer signs in and the new one does; wrong current
 * passwords are throttled like sign-ins (429 with Retry-After). Each test uses a fresh viewer
 * (the fixtures' accounts are shared).
 */
import { randomBytes } from 'node:crypto';
import type { APIRequestContext, Page, Response } from '@playwright/test';
import { ADMIN, ensureUser, formHeaders, loginRequest } from '../helpers/accounts';
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { expect, test } from '../fixtures';
import { LoginPage } from '../pages/login';

const OLD = 'first-Passw0rd-of-this-viewer';
const NEW = 'second quiet harbor lantern 81';

/** A new viewer with password OLD, created by the admin. */
async function freshViewer(playwright: { request: { newContext(o: { baseURL: string }): Promise<APIRequestContext> } }, baseURL: string) {
	const email = `account-${randomBytes(4).toString('hex')}@example.com`;
	const admin = await playwright.request.newContext({ baseURL });
	try {
		await loginRequest(admin, baseURL, ADMIN);
		await ensureUser(admin, baseURL, { email, password: OLD, role: 'viewer' });
	} finally {
		await admin.dispose();
	}
	return email;
}

/** What a form post answered: the HTTP status without JavaScript, the action result's with it. */
async function answered(page: Page, javaScript: boolean, submit: () => Promise<void>): Promise<{ status: number; location?: string }> {
	const response = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).search === '?/password');
	await submit();
	const r: Response = await response;
	if (!javaScript) return { status: r.status(), location: r.headers().location };
	const body = (await r.json()) as { type: string; status: number; location?: string };
	return { status: body.status, location: body.location };
}

for (const javaScript of [false, true]) {
	test(`a viewer changes their own password (JavaScript ${javaScript ? 'on' : 'off'})`, async ({ browser, playwright, baseURL }) => {
		test.setTimeout(60_000);
		const email = await freshViewer(playwright, baseURL!);
		// The same viewer signed in elsewhere.
		const elsewhere = await playwright.request.newContext({ baseURL });
		await loginRequest(elsewhere, baseURL!, { email, password: OLD });
		expect((await elsewhere.get('/admin/account', { maxRedirects: 0 })).status()).toBe(200);

		const context = await browser.newContext({ baseURL, javaScriptEnabled: javaScript });
		const page = await context.newPage();
		const login = new LoginPage(page);
		await login.goto();
		await login.login(email, OLD);
		await expect(page.getByTestId('signed-in-user')).toBeVisible();

		// The signed-in email in the header leads to the account page.
		await page.getByTestId('signed-in-user').getByRole('link', { name: email }).click();
		await expect(page).toHaveURL('/admin/account');
		await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
		if (javaScript) await expectNoSeriousA11yViolations(page);

		const form = page.getByRole('form', { name: 'Change your password' });
		const current = form.getByLabel('Current password', { exact: true });
		const password = form.getByLabel('New password', { exact: true });
		const confirm = form.getByLabel('Confirm the new password');
		const submit = form.getByRole('button', { name: 'Change password' });

		// A wrong current password: 400, the field named.
		await current.fill('not-the-right-password');
		await password.fill(NEW);
		await confirm.fill(NEW);
		expect(await answered(page, javaScript, () => submit.click())).toMatchObject({ status: 400 });
		await expect(page.locator('#current-password-error')).toHaveText('Incorrect password');
		await expect(page.getByRole('alert').first()).toContainText('Current password: Incorrect password');
		if (javaScript) await expectNoSeriousA11yViolations(page);

		// A common password and a confirmation that differs: the fields named.
		await current.fill(OLD);
		await password.fill('password1234');
		await confirm.fill('password1235');
		expect(await answered(page, javaScript, () => submit.click())).toMatchObject({ status: 400 });
		await expect(page.locator('#new-password-error')).toContainText('too easy to guess');
		await expect(page.locator('#confirm-password-error')).toHaveText('Does not match the new password');

		// Success: 303 back here with the message; this session stays, the other one ends.
		await current.fill(OLD);
		await password.fill(NEW);
		await confirm.fill(NEW);
		expect(await answered(page, javaScript, () => submit.click())).toEqual({ status: 303, location: '/admin/account' });
		await expect(page).toHaveURL('/admin/account');
		await expect(page.getByTestId('flash')).toHaveText('Password changed. Your other session was signed out.');
		await page.reload();
		await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
		await expect(page.getByTestId('flash')).toHaveCount(0);
		const gone = await elsewhere.get('/admin/account', { maxRedirects: 0 });
		expect(gone.status()).toBe(303);
		expect(gone.headers().location).toMatch(/^\/login/);
		await elsewhere.dispose();

		// The old password no longer signs in; the new one does.
		const fresh = await playwright.request.newContext({ baseURL });
		const old = await fresh.post('/login', { form: { email, password: OLD }, headers: formHeaders(baseURL!), maxRedirects: 0 });
		expect(old.status()).toBe(400);
		await loginRequest(fresh, baseURL!, { email, password: NEW });
		await fresh.dispose();
		if (javaScript) await expectNoSeriousA11yViolations(page);
		await context.close();
	});
}

test('wrong current passwords are throttled like sign-ins: 429 with Retry-After after 10', async ({ playwright, baseURL }) => {
	test.setTimeout(60_000);
	const email = await freshViewer(playwright, baseURL!);
	const request = await playwright.request.newContext({ baseURL });
	await loginRequest(request, baseURL!, { email, password: OLD });
	const post = (current: string) =>
		request.post('/admin/account?/password', { form: { current, password: NEW, confirm: NEW }, headers: formHeaders(baseURL!), maxRedirects: 0 });
	for (let i = 0; i < 10; i++) expect((await post(`wrong-guess-number-${i}`)).status()).toBe(400);
	const throttled = await post(OLD);
	expect(throttled.status()).toBe(429);
	expect(Number(throttled.headers()['retry-after'])).toBeGreaterThan(0);
	expect(await throttled.text()).toContain('Too many wrong passwords');
	// The right password was not checked: it still signs in, and the new one does not.
	const check = await playwright.request.newContext({ baseURL });
	expect((await check.post('/login', { form: { email, password: NEW }, headers: formHeaders(baseURL!), maxRedirects: 0 })).status()).toBe(400);
	await loginRequest(check, baseURL!, { email, password: OLD });
	await check.dispose();
	await request.dispose();
});
