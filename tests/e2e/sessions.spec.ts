/**
 * /admin/sessions and /admin/email in the browser against the built app: create a key in the
 * UI, start a session with it over the API, watch it appear without reloading, end it from the
 * UI, and see the client's next heartbeat refused. Plus revocation, viewers, no-JS, axe.
 */
import { randomBytes } from 'node:crypto';
import type { APIRequestContext } from '@playwright/test';
import { expectNoSeriousA11yViolations } from './helpers/axe';
import { CRON_SECRET } from './helpers/api';
import { expect, test } from './fixtures';
import { EmailPage, SessionsPage } from './pages/sessions';

const unique = (prefix: string) => `${prefix} ${randomBytes(4).toString('hex')}`;

async function post(request: APIRequestContext, path: string, data: unknown) {
	const res = await request.post(path, { data, failOnStatusCode: false });
	expect(res.status(), `${path}: ${await res.text()}`).toBeLessThan(500);
	return res;
}

test('create a key in the UI, see its device live, end the session from the UI: the next heartbeat is refused', async ({ adminPage, request }) => {
	const sessions = new SessionsPage(adminPage);
	await sessions.goto();
	await expect(sessions.heading).toBeVisible();
	const label = unique('Front desk');
	const key = await sessions.create(label);
	expect(key).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
	const row = sessions.row(label);
	await expect(row).toContainText('No active device');

	const deviceId = `e2e-tablet-${randomBytes(3).toString('hex')}`;
	const start = await post(request, '/api/session/start', { accessKey: key, deviceId });
	expect(start.status()).toBe(201);
	const { sessionId, heartbeatIntervalSeconds, timeoutSeconds } = await start.json();
	expect({ heartbeatIntervalSeconds, timeoutSeconds }).toEqual({ heartbeatIntervalSeconds: 30, timeoutSeconds: 60 });

	// no reload: the page refreshes itself
	await expect(row.getByTestId('device-id')).toHaveText(deviceId, { timeout: 15_000 });
	await expect(row.getByTestId('last-heartbeat')).toBeVisible();
	expect((await post(request, '/api/session/heartbeat', { sessionId })).status()).toBe(200);

	await row.getByRole('button', { name: 'End session' }).click();
	await expect(adminPage.getByRole('status').filter({ hasText: 'Session ended' })).toBeVisible();
	await expect(row).toContainText('No active device');
	await expect(row).toContainText('ended');

	const refused = await post(request, '/api/session/heartbeat', { sessionId });
	expect(refused.status()).toBe(410);
	expect(await refused.json()).toEqual({ error: { code: 'session_expired', message: 'Session expired, please restart the app.', issues: [] } });
	await expectNoSeriousA11yViolations(adminPage);
});

test('Revoke asks first, then the key stops working and its session ends', async ({ adminPage, request }) => {
	const sessions = new SessionsPage(adminPage);
	await sessions.goto();
	const label = unique('Revoke me');
	const key = await sessions.create(label);
	const start = await post(request, '/api/session/start', { accessKey: key, deviceId: 'to-be-revoked' });
	const { sessionId } = await start.json();
	const row = sessions.row(label);
	await expect(row.getByTestId('device-id')).toHaveText('to-be-revoked', { timeout: 15_000 });

	await row.getByRole('button', { name: 'Revoke' }).click();
	const dialog = adminPage.getByRole('alertdialog');
	await expect(dialog).toContainText('stops working at once');
	await dialog.getByRole('button', { name: 'Revoke' }).click();
	await expect(row.getByText('revoked', { exact: true })).toBeVisible();
	await expect(row.getByRole('button', { name: 'Revoke' })).toHaveCount(0);

	const heartbeat = await post(request, '/api/session/heartbeat', { sessionId });
	expect(heartbeat.status()).toBe(410);
	expect((await heartbeat.json()).error.code).toBe('session_revoked');
	expect((await post(request, '/api/session/start', { accessKey: key })).status()).toBe(401);
});

test('works without JavaScript: a key is created and shown once by the form action', async ({ browser, adminStorageState, baseURL }) => {
	const context = await browser.newContext({ storageState: adminStorageState, baseURL, javaScriptEnabled: false });
	const page = await context.newPage();
	const sessions = new SessionsPage(page);
	await sessions.goto();
	const label = unique('No script');
	const key = await sessions.create(label);
	expect(key).toMatch(/^ck_/);
	await expect(sessions.row(label)).toContainText(key.slice(0, 11));
	// shown once: a fresh load lists the prefix only
	await sessions.goto();
	await expect(sessions.createdKey).toHaveCount(0);
	await expect(page.getByText(key)).toHaveCount(0);
	await context.close();
});

test('viewers see keys and devices but no forms to change them', async ({ viewerPage }) => {
	const sessions = new SessionsPage(viewerPage);
	await sessions.goto();
	await expect(sessions.heading).toBeVisible();
	await expect(sessions.table).toBeVisible();
	await expect(sessions.createForm).toHaveCount(0);
	await expect(viewerPage.getByRole('button', { name: 'Revoke' })).toHaveCount(0);
	await expect(viewerPage.getByRole('button', { name: 'End session' })).toHaveCount(0);
	await expect(viewerPage.getByText('only admins can create keys')).toBeVisible();
});

test('/admin/email lists the outbox by status; a key emailed on creation is there, sent', async ({ adminPage, request }) => {
	const email = `e2e-${randomBytes(4).toString('hex')}@example.com`;
	const res = await request.post('/api/access-keys', { data: { label: 'Emailed', email }, headers: { authorization: `Bearer ${CRON_SECRET}` } });
	expect(res.status(), await res.text()).toBe(201);

	const outbox = new EmailPage(adminPage);
	await outbox.goto();
	await expect(outbox.heading).toBeVisible();
	const row = outbox.row(email);
	await expect(row).toContainText('Your Cronkit access key');
	await expect(row).toContainText('sent');
	await expect(row).toContainText('1 / 5');
	await expect(row.getByRole('button', { name: 'Retry now' })).toHaveCount(0);
	await expect(adminPage.getByText(/SMTP_URL is not set/)).toBeVisible();

	await outbox.filters.getByRole('button', { name: /^Failed/ }).click();
	await expect(adminPage).toHaveURL(/status=failed/);
	await expect(outbox.row(email)).toHaveCount(0);
	await outbox.filters.getByRole('button', { name: /^Sent/ }).click();
	await expect(outbox.row(email)).toHaveCount(1);
	await expectNoSeriousA11yViolations(adminPage);
});

test('a new key has a Copy key button that puts it on the clipboard (with JavaScript; without, the key stays selectable)', async ({ adminPage }) => {
	await adminPage.context().grantPermissions(['clipboard-read', 'clipboard-write']);
	const sessions = new SessionsPage(adminPage);
	await sessions.goto();
	const key = await sessions.create(unique('Copy me'));
	await adminPage.getByRole('button', { name: 'Copy key' }).click();
	await expect(adminPage.getByText('Copied', { exact: true })).toBeVisible();
	expect(await adminPage.evaluate(() => navigator.clipboard.readText())).toBe(key);
});
