/** /admin, the overview: states, the last 24 hours, the runs chart with axes and a legend, next runs; JavaScript on and off, axe-clean. */
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { expect, test, uniqueKey } from './cron-test';

for (const js of [true, false]) {
	test(`the overview shows states, failures, a stacked runs chart with axes and legend, and the next runs (JavaScript ${js ? 'on' : 'off'})`, async ({
		browser,
		adminStorageState,
		api,
		selfURL
	}) => {
		test.setTimeout(60_000);
		const failing = uniqueKey('e2e-overview-bad');
		const ok = uniqueKey('e2e-overview-ok');
		await api.createHttpJob('http://127.0.0.1:9/', { key: failing, maxRetries: 0 });
		await api.createHttpJob(`${selfURL}/healthz`, { key: ok });
		await api.waitForStatus(await api.trigger(failing), ['failed']);
		await api.waitForStatus(await api.trigger(ok), ['succeeded']);

		const context = await browser.newContext({ storageState: adminStorageState, javaScriptEnabled: js });
		const page = await context.newPage();
		await page.goto('/admin');
		await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
		for (const state of ['idle', 'running', 'disabled', 'paused', 'failing', 'misconfigured']) {
			await expect(page.getByTestId('job-states').locator(`a[data-state="${state}"]`)).toHaveAttribute('href', new RegExp(`/admin/cron\\?state=${state}$`));
		}
		expect(Number(await page.getByTestId('job-states').locator('a[data-state="failing"] span').first().textContent())).toBeGreaterThanOrEqual(1);
		expect(Number(await page.getByTestId('failures-24h').textContent())).toBeGreaterThanOrEqual(1);
		// What needs attention from alerts: monitors down, notifications not delivered (waiting or given up).
		await expect(page.getByTestId('monitors-down').getByRole('link')).toHaveAttribute('href', /\/admin\/monitors$/);
		expect(await page.getByTestId('monitors-down').textContent()).toMatch(/^\s*\d+\s*$/);
		await expect(page.getByTestId('undelivered-notifications').getByRole('link')).toHaveAttribute('href', /\/admin\/alerts$/);
		expect(await page.getByTestId('undelivered-notifications').textContent()).toMatch(/^\s*\d+\s*$/);

		const chart = page.getByTestId('runs-chart');
		await expect(chart).toHaveAttribute('role', 'img');
		await expect(chart).toHaveAttribute('aria-label', /Runs per hour over the last 24 hours \(UTC\): \d+ in all.*\d+ succeeded.*\d+ failed/);
		await expect(chart.locator('text', { hasText: 'Runs per hour' })).toHaveCount(1);
		await expect(chart.locator('text', { hasText: 'Hour (UTC)' })).toHaveCount(1);
		await expect(chart.locator('rect.fill-red-600')).not.toHaveCount(0);
		await expect(page.getByTestId('runs-chart-legend')).toContainText('succeeded');
		await expect(page.getByTestId('runs-chart-legend')).toContainText('failed');
		await expect(page.getByTestId('failing-jobs').getByRole('link')).not.toHaveCount(0);

		const next = await page.getByTestId('next-runs').locator('time').evaluateAll((ts) => ts.map((t) => Date.parse(t.getAttribute('datetime')!)));
		expect(next.length).toBeGreaterThan(0);
		expect(next.length).toBeLessThanOrEqual(10);
		expect([...next].sort((a, b) => a - b)).toEqual(next);
		// axe runs in the page: with JavaScript (the markup is the same without).
		if (js) await expectNoSeriousA11yViolations(page);
		await context.close();
	});
}
