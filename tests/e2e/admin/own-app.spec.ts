/**
 * On an app of its own (COMMAND_JOBS=on, and the global pause, which the shared server's other
 * tests must not see): a command job created and run in the browser, its output followed live;
 * the job states under the pause, each distinct and filterable.
 */
import type { APIRequestContext, Browser, Page } from '@playwright/test';
import { CronApi, CRON_SECRET, QUIET_SCHEDULE, uniqueKey } from '../helpers/api';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../helpers/accounts';
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { startOwnApp, type OwnApp } from '../helpers/own-app';
import { CronJobPage } from '../pages/cron-job';
import { CronListPage } from '../pages/cron-list';
import { NewJobPage } from '../pages/cron-new';
import { CronRunPage } from '../pages/cron-run';
import { LoginPage } from '../pages/login';
import { expect, test } from '../fixtures';

test.describe.configure({ mode: 'serial' });

let app: OwnApp;
let request: APIRequestContext;
let api: CronApi;

test.beforeAll(async ({ playwright }) => {
	test.setTimeout(120_000);
	app = await startOwnApp({ CRON_SECRET, COMMAND_JOBS: 'on' });
	request = await playwright.request.newContext({ baseURL: app.url });
	api = new CronApi(request);
});
test.afterAll(async () => {
	await request?.dispose();
	await app?.stop();
});

/** A signed-in admin's page on the app of its own. */
async function signedIn(browser: Browser): Promise<Page> {
	const page = await (await browser.newContext({ baseURL: app.url })).newPage();
	const login = new LoginPage(page);
	await login.goto();
	await login.login(ADMIN_EMAIL, ADMIN_PASSWORD);
	await page.waitForURL(/\/admin/);
	return page;
}

test('a command job created in the browser runs, and its output streams in live: colours as classes, autoscroll until scrolled up', async ({ browser }) => {
	test.setTimeout(90_000);
	const page = await signedIn(browser);
	const form = new NewJobPage(page);
	await form.goto();
	await expect(form.type.locator('option[value="command"]')).toHaveCount(1);
	const key = uniqueKey('e2e-cmd');
	await form.name.fill('Command');
	await form.key.fill(key);
	await form.schedule.fill(QUIET_SCHEDULE);
	await form.type.selectOption('command');
	// 200 quick lines overflow the box; then one green line a second; then exit 3.
	const script = `i=0; while [ $i -lt 200 ]; do echo "filler $i"; i=$((i+1)); done; for n in 1 2 3 4 5 6 7 8; do printf '\\033[32mline %s\\033[0m\\n' $n; sleep 1; done; exit 3`;
	await form.argv.fill(['sh', '-c', script].join('\n'));
	await form.create.click();
	await expect(page).toHaveURL(new RegExp(`/admin/cron/${key}$`));
	expect((await (await api.get(`/api/cron/jobs/${key}`)).json()).job.params).toMatchObject({ argv: ['sh', '-c', script] });

	const job = new CronJobPage(page);
	await job.runNow.click();
	const id = await job.queuedRunId();
	await job.flash.getByRole('link', { name: `View run #${id}` }).click();
	const run = new CronRunPage(page);
	await expect(run.heading).toHaveText(`Run #${id}`);

	// Live, while it runs: the first green line, without its escape codes.
	await expect(run.output).toContainText('line 1', { timeout: 15_000 });
	expect((await api.execution(id)).status).toBe('running');
	expect(await run.output.textContent()).not.toContain('\u001b');
	await expect(run.output.locator('span.text-emerald-700').first()).toHaveText('line 1');
	// Following: the newest line is in view.
	await expect(run.output).toContainText('line 2');
	await expect(run.outputBox).toHaveAttribute('data-following', 'true');
	const atBottom = () => run.outputBox.evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 8);
	await expect.poll(atBottom).toBe(true);

	// Scrolled up: more output arrives, the view stays where the reader put it.
	await run.outputBox.evaluate((el) => el.scrollTo({ top: 0 }));
	await expect(run.outputBox).toHaveAttribute('data-following', 'false');
	const shown = (await run.output.textContent())!.length;
	await expect.poll(async () => (await run.output.textContent())!.length).toBeGreaterThan(shown);
	expect(await run.outputBox.evaluate((el) => el.scrollTop)).toBe(0);
	await run.followOutput.click();
	await expect(run.outputBox).toHaveAttribute('data-following', 'true');

	// The end: exit code 3, no signal, CPU and peak memory measured.
	await expect(run.status).toContainText('failed', { timeout: 20_000 });
	await expect(run.output).toContainText('line 8');
	await expect(run.error).toContainText('exit code 3');
	await expect(run.details.getByTestId('run-exit-code')).toHaveText('3');
	await expect(run.details.getByTestId('run-signal')).toHaveText('—');
	await expect(run.details.getByTestId('run-cpu')).toHaveText(/\d+(\.\d+)? (ms|s)/);
	await expect(run.details.getByTestId('run-memory')).toHaveText(/\d+(\.\d+)? (KB|MB)/);
	await expectNoSeriousA11yViolations(page);
});

test('under the global pause, idle, disabled and failing jobs keep distinct states, each filterable; next run says paused', async ({ browser }) => {
	test.setTimeout(60_000);
	const prefix = uniqueKey('e2e-states');
	const [quiet, off, failing] = ['quiet', 'off', 'failing'].map((s) => `${prefix}-${s}`) as [string, string, string];
	await api.createHttpJob('http://127.0.0.1:9/', { key: quiet });
	await api.createHttpJob('http://127.0.0.1:9/', { key: off, enabled: false });
	await api.createHttpJob('http://127.0.0.1:9/', { key: failing, maxRetries: 0 });
	await api.waitForStatus(await api.trigger(failing), ['failed']);
	expect((await api.patch('/api/cron/settings', { data: { 'scheduler.paused': true } })).status()).toBe(200);
	try {
		const page = await signedIn(browser);
		const list = new CronListPage(page);
		await list.goto(`?q=${prefix}`);
		await expect(list.row(quiet)).toHaveAttribute('data-state', 'paused');
		await expect(list.row(off)).toHaveAttribute('data-state', 'disabled');
		await expect(list.row(failing)).toHaveAttribute('data-state', 'failing');
		await expect(list.row(quiet).getByTestId('next-run')).toHaveText('paused');
		await expect(list.row(off).getByTestId('next-run')).toHaveText('disabled');
		for (const [state, key] of [['paused', quiet], ['disabled', off], ['failing', failing], ['idle', null]] as const) {
			await list.goto(`?q=${prefix}&state=${state}`);
			await expect(list.table).toBeVisible();
			expect(await list.rowKeys(), state).toEqual(key ? [key] : []);
		}
	} finally {
		expect((await api.patch('/api/cron/settings', { data: { 'scheduler.paused': false } })).status()).toBe(200);
	}
});
