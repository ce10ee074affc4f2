/**
 * Alerts and monitors in the browser, on an app of its own (monitors that go down put a banner
 * on every page, which would disturb the other specs): add a channel and send a test to a real
 * receiver on loopback, a job's alert rules, create a monitor, copy its ping URL and watch it go
 * down and up live; the same without JavaScript (plain form posts); axe on every page (axe runs
 * in the page, so with JavaScript on).
 */
import type { BrowserContext, Page } from '@playwright/test';
import { startReceiver, type Receiver } from '../../helpers/receiver';
import { adminSessionCookie } from '../helpers/accounts';
import { CRON_SECRET } from '../helpers/api';
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { startOwnApp, type OwnApp } from '../helpers/own-app';
import { expect, test } from '../fixtures';
import { AlertsPage } from '../pages/alerts';
import { MonitorPage, MonitorsPage } from '../pages/monitors';

test.describe.configure({ mode: 'serial' });

let app: OwnApp;
let hook: Receiver;
let cookie: string;

test.beforeAll(async () => {
	test.setTimeout(120_000);
	app = await startOwnApp({ CRON_SECRET });
	hook = await startReceiver();
	cookie = await adminSessionCookie(app.url);
});

test.afterAll(async () => {
	await app?.stop();
	await hook?.close();
});

/** A signed-in browser context on the app (JavaScript on or off). */
async function signedIn(browser: import('@playwright/test').Browser, javaScriptEnabled = true): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ baseURL: app.url, javaScriptEnabled });
	const url = new URL(app.url);
	await context.addCookies(
		cookie.split('; ').map((c) => {
			const i = c.indexOf('=');
			return { name: c.slice(0, i), value: c.slice(i + 1), domain: url.hostname, path: '/' };
		})
	);
	return { context, page: await context.newPage() };
}

const api = (method: string, path: string, body?: unknown) =>
	fetch(`${app.url}${path}`, {
		method,
		headers: { authorization: `Bearer ${CRON_SECRET}`, ...(body ? { 'content-type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined
	});

test('add a channel and send a test: the receiver gets it, and the notification shows as delivered', async ({ browser }) => {
	test.setTimeout(60_000);
	const { context, page } = await signedIn(browser);
	const alerts = new AlertsPage(page);
	await alerts.goto();
	await expect(alerts.heading).toBeVisible();
	await expectNoSeriousA11yViolations(page);

	await alerts.name.fill('Ops hook');
	await alerts.url.fill(`${hook.url}/secret-path-123`);
	await alerts.format.selectOption('json');
	await alerts.create.click();
	await expect(alerts.notice).toContainText('Channel "Ops hook" created.');
	// The URL's path is a secret: shown masked.
	await expect(alerts.channel('Ops hook')).toContainText(`http://127.0.0.1:${hook.port}/••••`);
	await expect(alerts.channels).not.toContainText('secret-path-123');

	await alerts.sendTest('Ops hook').click();
	await expect(alerts.notice).toContainText('Test sent to "Ops hook": delivered.');
	expect(hook.hits).toHaveLength(1);
	expect(hook.hits[0]!.path).toBe('/hook/secret-path-123');
	expect(hook.hits[0]!.body).toEqual({ event: 'test', text: expect.stringContaining('Test notification from Cronkit to the channel "Ops hook"'), at: expect.any(String) });
	await expect(alerts.notifications.locator('tr[data-status="delivered"]')).toHaveCount(1);

	// A URL denied by the egress policy is refused, the field named.
	await alerts.name.fill('Metadata');
	await alerts.url.fill('http://169.254.169.254/latest');
	await alerts.create.click();
	await expect(alerts.createForm.getByText('blocked by HTTP_JOB_DENY (169.254.169.254)')).toBeVisible();
	await expectNoSeriousA11yViolations(page);
	await context.close();
});

test("a job's alert rules: saved from its page, errors next to their fields, drift from code defaults shown", async ({ browser }) => {
	test.setTimeout(60_000);
	const { context, page } = await signedIn(browser);
	await page.goto('/admin/cron/email-retry');
	const card = page.getByRole('region', { name: 'Alerts' });
	await expect(card).toBeVisible();
	await card.getByLabel('Slow after').fill('soon');
	await card.getByRole('button', { name: 'Save alerts' }).click();
	await expect(card.locator('#alerts-maxDuration-error')).toHaveText('must be a duration like 90s, 5m, 2h or 1d');
	await expect(card.getByRole('status').or(card.getByRole('alert'))).toContainText('Slow after: must be a duration');
	await card.getByLabel('These channels (none ticked: no alerts)').check();
	await card.getByLabel('Ops hook').check();
	await card.getByLabel('Alert on failure').selectOption('every');
	await card.getByLabel('Slow after').fill('10m');
	await card.getByLabel('Auto-disable after').fill('3');
	await card.getByRole('button', { name: 'Save alerts' }).click();
	await expect(page.getByTestId('flash')).toHaveText('Alerts saved.');
	await expect(card.locator('tr[data-alert-setting="channels"]')).toContainText('Ops hook');
	await expect(card.locator('tr[data-alert-setting="onFailure"]')).toHaveAttribute('data-drift', 'true');
	await expect(card.locator('tr[data-alert-setting="maxDurationMs"]')).toContainText('10 min 0 s');
	await expect(card.locator('tr[data-alert-setting="autoDisableAfter"]')).toContainText('3 consecutive failures');
	await expect(card.locator('tr[data-alert-setting="onRecovery"]')).toHaveAttribute('data-drift', 'false');
	const job = (await (await api('GET', '/api/cron/jobs/email-retry')).json()) as { job: { alerts: unknown; autoDisableAfter: number; drift: string[] } };
	expect(job.job).toMatchObject({ alerts: { onFailure: 'every', maxDurationMs: 600_000 }, autoDisableAfter: 3, drift: ['alerts', 'autoDisableAfter'] });
	await expectNoSeriousA11yViolations(page);
	await context.close();
});

test('create a monitor, copy its ping URL, and see it go down and up live', async ({ browser }) => {
	test.setTimeout(90_000);
	const { context, page } = await signedIn(browser);
	await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
	const monitors = new MonitorsPage(page);
	await monitors.goto();
	await expect(monitors.heading).toBeVisible();
	await expectNoSeriousA11yViolations(page);
	await monitors.form.key.fill('nightly-backup');
	await monitors.form.name.fill('Nightly backup');
	await monitors.form.period.fill('3s');
	await monitors.form.grace.fill('2s');
	await monitors.create.click();
	await expect(monitors.pingUrl).toBeVisible();
	const pingUrl = (await monitors.pingUrl.textContent())!.trim();
	expect(pingUrl).toMatch(new RegExp(`^${app.url}/ping/[A-Za-z0-9_-]{32}$`));
	await monitors.copyUrl.click();
	await expect(page.getByText('Copied')).toBeVisible();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(pingUrl);
	await expectNoSeriousA11yViolations(page);

	await page.getByRole('link', { name: 'Open the monitor' }).click();
	const monitor = new MonitorPage(page);
	await expect(monitor.heading).toHaveText('Nightly backup');
	await expect(monitor.live).toHaveAttribute('data-state', 'live');
	await page.evaluate(() => ((window as unknown as { __same: boolean }).__same = true));
	await expect(monitor.status).toHaveAttribute('data-status', 'new');

	// The job pings: up, live.
	expect((await fetch(pingUrl)).status).toBe(200);
	await expect(monitor.status).toHaveAttribute('data-status', 'up', { timeout: 5_000 });
	await expect(monitor.pings.locator('tr[data-ping="success"]')).toHaveCount(1);
	// No more pings: late after 3 s, down after 2 s more.
	await expect(monitor.status).toHaveAttribute('data-status', 'down', { timeout: 10_000 });
	await expect(monitor.flips.locator('tr[data-flip="up-down"]')).toHaveCount(1);
	// It pings again, with its log: up again, live.
	expect((await fetch(pingUrl, { method: 'POST', body: 'backup done: 42 GB' })).status).toBe(200);
	await expect(monitor.status).toHaveAttribute('data-status', 'up', { timeout: 5_000 });
	await expect(monitor.flips.locator('tr[data-flip="down-up"]')).toHaveCount(1);
	await expect(monitor.pings).toContainText('backup done: 42 GB');
	expect(await page.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);
	await expectNoSeriousA11yViolations(page);

	// Regenerate: a new URL; the old one is gone.
	await monitor.regenerate.click();
	await page.getByRole('alertdialog').getByRole('button', { name: 'Regenerate' }).click();
	await expect(monitor.pingUrl).toBeVisible();
	const fresh = (await monitor.pingUrl.textContent())!.trim();
	expect(fresh).not.toBe(pingUrl);
	expect((await fetch(pingUrl)).status).toBe(404);
	expect((await fetch(fresh)).status).toBe(200);
	await api('DELETE', '/api/monitors/nightly-backup');
	await context.close();
});

test('live updates leave half-filled forms as typed: the new monitor form, a monitor\'s settings, a channel', async ({ browser }) => {
	test.setTimeout(60_000);
	const { context, page } = await signedIn(browser);
	const monitors = new MonitorsPage(page);
	await monitors.goto();
	await monitors.form.key.fill('half-typed');
	await monitors.form.name.fill('Half typed');
	await monitors.form.grace.fill('7m');
	// A monitor is created and pinged elsewhere: the list re-runs its load, live.
	const made = await api('POST', '/api/monitors', { key: 'elsewhere', name: 'Elsewhere', periodSeconds: 3600 });
	expect(made.status).toBe(201);
	const { pingUrl } = (await made.json()) as { pingUrl: string };
	await expect(monitors.row('elsewhere')).toHaveAttribute('data-status', 'new');
	expect((await fetch(pingUrl)).status).toBe(200);
	await expect(monitors.row('elsewhere')).toHaveAttribute('data-status', 'up');
	await expect(monitors.form.key).toHaveValue('half-typed');
	await expect(monitors.form.name).toHaveValue('Half typed');
	await expect(monitors.form.grace).toHaveValue('7m');
	await expect(monitors.form.period).toHaveValue('1h');

	// The monitor's own page: its pings arrive live while its settings are being edited.
	await page.getByRole('link', { name: 'Elsewhere' }).click();
	const monitor = new MonitorPage(page);
	await expect(monitor.live).toHaveAttribute('data-state', 'live');
	await monitor.form.name.fill('Elsewhere, renamed');
	expect((await fetch(pingUrl, { method: 'POST', body: 'second ping' })).status).toBe(200);
	await expect(monitor.pings).toContainText('second ping');
	await expect(monitor.form.name).toHaveValue('Elsewhere, renamed');
	await monitor.save.click();
	await expect(monitor.heading).toHaveText('Elsewhere, renamed');

	// A channel being renamed while a notification is delivered (Send test from another tab).
	const alerts = new AlertsPage(page);
	await alerts.goto();
	await expect(alerts.live).toHaveAttribute('data-state', 'live');
	const edit = alerts.channel('Ops hook');
	await edit.getByText('Edit').click();
	const name = edit.getByLabel('Name');
	await name.fill('Ops hook, renamed');
	const delivered = alerts.notifications.locator('tr[data-status="delivered"]');
	const already = await delivered.count();
	const other = new AlertsPage(await context.newPage());
	await other.goto();
	await other.sendTest('Ops hook').click();
	await expect(other.notice).toContainText('Test sent to "Ops hook": delivered.');
	// It arrives live on the first tab …
	await expect(delivered).toHaveCount(already + 1);
	// … and the rename being typed there is still as typed.
	await expect(name).toHaveValue('Ops hook, renamed');
	await other.page.close();
	await api('DELETE', '/api/monitors/elsewhere');
	await context.close();
});

test('without JavaScript: channels, Send test, monitors with their ping URL, Regenerate and job alerts are plain form posts', async ({ browser }) => {
	test.setTimeout(120_000);
	const { context, page } = await signedIn(browser, false);
	const alerts = new AlertsPage(page);
	await alerts.goto();
	await alerts.type.selectOption('email');
	await alerts.name.fill('On call');
	await alerts.recipients.fill('oncall@example.com\nlead@example.com');
	await alerts.create.click();
	await expect(alerts.notice).toContainText('Channel "On call" created.');
	await expect(alerts.channel('On call')).toContainText('oncall@example.com, lead@example.com');
	await alerts.name.fill('Empty');
	await alerts.type.selectOption('email');
	await alerts.create.click();
	await expect(alerts.createForm.getByText('must name at least one address')).toBeVisible();
	await alerts.goto();
	const tests = () => hook.hits.filter((h) => h.body.event === 'test').length;
	const sent = tests();
	await alerts.sendTest('Ops hook').click();
	await expect(alerts.notice).toContainText('Test sent to "Ops hook": delivered.');
	expect(tests()).toBe(sent + 1);
	await page.getByLabel('On call', { exact: true }).check();
	await page.getByRole('button', { name: 'Save default channels' }).click();
	await expect(alerts.notice).toContainText('Default channels saved (1).');
	await expect(alerts.channel('On call')).toContainText('default');

	const monitors = new MonitorsPage(page);
	await monitors.goto({ javaScript: false });
	await monitors.form.key.fill('ci-deploy');
	await monitors.form.name.fill('CI deploy');
	await monitors.form.onSchedule.check();
	await monitors.form.schedule.fill('61 * * * *');
	await monitors.create.click();
	await expect(page.locator('#new-monitor-schedule-error')).toContainText('invalid minute field');
	await monitors.form.schedule.fill('0 4 * * *');
	await monitors.create.click();
	await expect(monitors.pingUrl).toBeVisible();
	await expect(monitors.copyUrl).toHaveCount(0);
	const pingUrl = (await monitors.pingUrl.textContent())!.trim();
	expect((await fetch(`${pingUrl}/0`)).status).toBe(200);

	const monitor = new MonitorPage(page);
	await monitor.goto('ci-deploy');
	await expect(monitor.status).toHaveAttribute('data-status', 'up');
	await expect(monitor.live).toHaveCount(0);
	await monitor.form.grace.fill('15m');
	await monitor.save.click();
	await expect(page.getByText('Saved.')).toBeVisible();
	await monitor.regenerate.click();
	await expect(monitor.pingUrl).toBeVisible();
	expect((await fetch(pingUrl)).status).toBe(404);

	await page.goto('/admin/cron/prune-executions');
	const card = page.getByRole('region', { name: 'Alerts' });
	await card.getByLabel('No success within').fill('26h');
	await card.getByLabel('Alert on a missed run').check();
	await card.getByRole('button', { name: 'Save alerts' }).click();
	await expect(page.getByTestId('flash')).toHaveText('Alerts saved.');
	await expect(card.locator('tr[data-alert-setting="noSuccessWithinMs"]')).toContainText('26 h 0 min');
	await expect(card.locator('tr[data-alert-setting="onMissed"]')).toContainText('yes');
	await context.close();

	// axe runs in the page, so it checks what these posts left behind with JavaScript on.
	const checked = await signedIn(browser);
	for (const path of ['/admin/alerts', '/admin/monitors', '/admin/monitors/ci-deploy', '/admin/cron/prune-executions']) {
		await checked.page.goto(path);
		await expectNoSeriousA11yViolations(checked.page);
	}
	await checked.context.close();
});

/**
 * Post/Redirect/Get: a successful action answers 303 back to its page (with JavaScript, the
 * enhanced request's answer is that redirect), so the page left behind is a plain GET: a reload
 * repeats nothing and shows neither the message nor a ping URL again.
 */
for (const javaScript of [false, true]) {
	test(`every alerts and monitors action answers 303, and a reload does not repeat it (JavaScript ${javaScript ? 'on' : 'off'})`, async ({ browser }) => {
		test.setTimeout(120_000);
		const { context, page } = await signedIn(browser, javaScript);
		if (javaScript) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
		const tag = javaScript ? 'js' : 'nojs';
		const flash = page.getByTestId('flash');

		/** Submits with `submit`, expects the 303 to `to`, and waits for the page it leads to. */
		async function redirected(action: string, to: string, submit: () => Promise<void>) {
			const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).search === `?/${action}`);
			await submit();
			const r = await answer;
			if (javaScript) expect(await r.json()).toEqual({ type: 'redirect', status: 303, location: to });
			else {
				expect(r.status()).toBe(303);
				expect(r.headers().location).toBe(to);
			}
			await expect(page).toHaveURL(`${app.url}${to}`);
			await expect(flash).toBeVisible();
		}
		/** Reloads the page the action redirected to: its message is gone (the action did not run again). */
		async function reload() {
			await page.reload();
			await expect(page.locator('main')).toBeVisible();
			await expect(flash).toHaveCount(0);
		}
		/** Clicks a button that asks first when JavaScript runs (a ConfirmButton). */
		async function confirmed(button: import('@playwright/test').Locator, confirm: string) {
			await button.click();
			if (javaScript) await page.getByRole('alertdialog').getByRole('button', { name: confirm }).click();
		}
		const channelCount = async () => ((await (await api('GET', '/api/alerts/channels')).json()) as { channels: unknown[] }).channels.length;

		// /admin/alerts: create, Send test, edit, default channels, delete.
		const alerts = new AlertsPage(page);
		await alerts.goto();
		if (javaScript) await expect(alerts.live).toHaveAttribute('data-state', 'live');
		const name = `Reload hook ${tag}`;
		const channels = await channelCount();
		await alerts.name.fill(name);
		await alerts.url.fill(`${hook.url}/reload-${tag}`);
		await redirected('create', '/admin/alerts', () => alerts.create.click());
		await expect(flash).toHaveText(`Channel "${name}" created.`);
		await reload();
		expect(await channelCount()).toBe(channels + 1);

		const sent = () => hook.hits.filter((h) => h.path === `/hook/reload-${tag}`).length;
		await redirected('test', '/admin/alerts', () => alerts.sendTest(name).click());
		await expect(flash).toHaveText(`Test sent to "${name}": delivered.`);
		expect(sent()).toBe(1);
		await reload();
		expect(sent()).toBe(1);

		const row = alerts.channel(name);
		await row.getByText('Edit').click();
		await row.getByLabel('Name').fill(`${name}, renamed`);
		await redirected('update', '/admin/alerts', () => row.getByRole('button', { name: 'Save', exact: true }).click());
		await expect(flash).toHaveText(`Channel "${name}, renamed" saved.`);
		await reload();

		const renamed = alerts.channel(`${name}, renamed`);
		await page.getByLabel(`${name}, renamed`, { exact: true }).check();
		await redirected('defaults', '/admin/alerts', () => page.getByRole('button', { name: 'Save default channels' }).click());
		await expect(flash).toContainText('Default channels saved');
		await expect(renamed).toContainText('default');
		await reload();

		await redirected('delete', '/admin/alerts', () => confirmed(renamed.getByRole('button', { name: 'Delete', exact: true }), 'Delete'));
		await expect(flash).toContainText('Channel deleted');
		await reload();
		expect(await channelCount()).toBe(channels);

		// /admin/monitors: create shows the ping URL once (with a working Copy URL button when JavaScript runs).
		const monitors = new MonitorsPage(page);
		await monitors.goto({ javaScript });
		const key = `reload-${tag}`;
		await monitors.form.key.fill(key);
		await monitors.form.name.fill(`Reload ${tag}`);
		await redirected('create', '/admin/monitors', () => monitors.create.click());
		await expect(flash).toHaveText(`Monitor "Reload ${tag}" created.`);
		const pingUrl = (await monitors.pingUrl.textContent())!.trim();
		expect(pingUrl).toMatch(new RegExp(`^${app.url}/ping/[A-Za-z0-9_-]{32}$`));
		if (javaScript) {
			await monitors.copyUrl.click();
			await expect(page.getByText('Copied', { exact: true })).toBeVisible();
			expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(pingUrl);
		} else await expect(monitors.copyUrl).toHaveCount(0);
		await reload();
		await expect(monitors.pingUrl).toHaveCount(0);
		await expect(monitors.row(key)).toHaveCount(1);
		expect((await fetch(pingUrl)).status).toBe(200);

		// /admin/monitors/[key]: save, Regenerate (the new URL once), delete.
		const monitor = new MonitorPage(page);
		await monitor.goto(key);
		if (javaScript) await expect(monitor.live).toHaveAttribute('data-state', 'live');
		await monitor.form.grace.fill('9m');
		await redirected('update', `/admin/monitors/${key}`, () => monitor.save.click());
		await expect(flash).toHaveText('Saved.');
		await reload();

		await redirected('regenerate', `/admin/monitors/${key}`, () => confirmed(monitor.regenerate, 'Regenerate'));
		await expect(flash).toHaveText('New ping URL: the old one no longer works.');
		const fresh = (await monitor.pingUrl.textContent())!.trim();
		expect(fresh).not.toBe(pingUrl);
		if (javaScript) {
			await page.getByRole('button', { name: 'Copy URL' }).click();
			await expect(page.getByText('Copied', { exact: true })).toBeVisible();
			expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(fresh);
		}
		await reload();
		await expect(monitor.pingUrl).toHaveCount(0);
		// Not regenerated again: the URL shown still works, the old one does not.
		expect((await fetch(fresh)).status).toBe(200);
		expect((await fetch(pingUrl)).status).toBe(404);

		await page.getByLabel(`Yes, delete ${key}`).check();
		await redirected('delete', '/admin/monitors', () => page.getByRole('region', { name: 'Delete this monitor' }).getByRole('button', { name: 'Delete' }).click());
		await expect(flash).toHaveText(`Monitor ${key} deleted.`);
		await reload();
		await expect(monitors.row(key)).toHaveCount(0);

		// A job's Alerts card.
		await page.goto('/admin/cron/prune-executions');
		const card = page.getByRole('region', { name: 'Alerts' });
		if (javaScript) await expect(page.getByTestId('live-indicator')).toHaveAttribute('data-state', 'live');
		await card.getByLabel('Auto-disable after').fill(javaScript ? '5' : '4');
		await redirected('alerts', '/admin/cron/prune-executions', () => card.getByRole('button', { name: 'Save alerts' }).click());
		await expect(flash).toHaveText('Alerts saved.');
		await expect(card.locator('tr[data-alert-setting="autoDisableAfter"]')).toContainText(`${javaScript ? 5 : 4} consecutive failures`);
		await reload();
		// axe runs in the page: only with JavaScript.
		if (javaScript) await expectNoSeriousA11yViolations(page);
		await context.close();
	});
}
