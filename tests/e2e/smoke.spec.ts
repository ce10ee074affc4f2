import { expectNoSeriousA11yViolations } from './helpers/axe';
import { expect, test } from './fixtures';

test('home page renders and is accessible', async ({ homePage, page }) => {
	await homePage.goto();
	await expect(page).toHaveTitle('Cronkit');
	await expect(homePage.heading).toHaveText('Cronkit');
	await expectNoSeriousA11yViolations(page);
});

test('home page works without JavaScript', async ({ browser }) => {
	const context = await browser.newContext({ javaScriptEnabled: false });
	const page = await context.newPage();
	await page.goto('/');
	await expect(page.getByRole('heading', { level: 1 })).toHaveText('Cronkit');
	await context.close();
});

test('/healthz reports the database up', async ({ request }) => {
	const res = await request.get('/healthz');
	expect(res.status()).toBe(200);
	const body = await res.json();
	expect(body).toMatchObject({ status: 'ok', db: 'up', warnings: [] });
	expect(typeof body.scheduler).toBe('object');
	// This instance runs the scheduler and registered itself; its clock is the database's.
	expect(body.workers.live).toBeGreaterThanOrEqual(1);
	expect(Math.abs(body.clockOffsetMs)).toBeLessThan(1000);
	expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
});
