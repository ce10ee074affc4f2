/** /admin/cron/new, and what a run of the new job shows: output, result, error, as text. */
import { expectNoSeriousA11yViolations } from '../helpers/axe';
import { startServer } from '../helpers/http-server';
import { CronJobPage } from '../pages/cron-job';
import { NewJobPage } from '../pages/cron-new';
import { CronRunPage } from '../pages/cron-run';
import { expect, QUIET_SCHEDULE, test, uniqueKey } from './cron-test';

test('creates an http job calling the app itself and shows its run’s captured response', async ({ adminPage, selfURL, api }) => {
	const key = uniqueKey('e2e-new');
	const form = new NewJobPage(adminPage);
	await form.goto();
	await expect(form.heading).toBeVisible();
	await form.fill({ name: `Health ${key}`, key, description: 'Calls /healthz', schedule: QUIET_SCHEDULE, url: `${selfURL}/healthz`, headers: 'X-Probe: e2e' });
	await expect(form.schedulePreview).toContainText('January');
	await form.create.click();
	await expect(adminPage).toHaveURL(new RegExp(`/admin/cron/${key}`));
	const job = new CronJobPage(adminPage);
	await expect(job.heading).toHaveText(`Health ${key}`);
	const created = (await (await api.get(`/api/cron/jobs/${key}`)).json()).job;
	expect(created).toMatchObject({ source: 'ui', type: 'http', schedule: QUIET_SCHEDULE });

	await job.runNow.click();
	const id = await job.queuedRunId();
	await expect(job.run(id)).toHaveAttribute('data-status', 'succeeded', { timeout: 15_000 });
	await job.run(id).getByRole('link', { name: `#${id}` }).click();
	const run = new CronRunPage(adminPage);
	await expect(run.heading).toHaveText(`Run #${id}`);
	await expect(run.status).toContainText('succeeded');
	await expect(run.output).toContainText(`GET ${selfURL}/healthz → 200 OK`);
	await expect(run.output).toContainText('"status":"ok"');
	await expect(run.result).toContainText('"message": "HTTP 200"');
	await expect(run.details).toContainText('manual');
	await expect(run.details).toContainText('admin@example.com');
	await expectNoSeriousA11yViolations(adminPage);
});

test('server errors name the field, next to it, and keep what was typed', async ({ adminPage }) => {
	const form = new NewJobPage(adminPage);
	await form.goto();
	await form.fill({ name: 'Broken', key: 'Not A Slug', schedule: '0 25 * * *', url: 'ftp://example.com/x', headers: 'no colon here' });
	await form.create.click();
	await expect(form.fieldError(form.headers)).toContainText('line 1 must look like "Name: value"');
	await form.headers.fill('X-Ok: 1');
	await form.create.click();
	await expect(form.fieldError(form.key)).toContainText('slug');
	await expect(form.key).toHaveValue('Not A Slug');
	await form.key.fill('new');
	await form.create.click();
	await expect(form.fieldError(form.key)).toContainText('reserved for the admin page /admin/cron/new');
	await form.key.fill(uniqueKey('e2e-bad'));
	await form.create.click();
	await expect(form.fieldError(form.url)).toContainText('http:// or https://');
	await form.url.fill('https://example.com/hook');
	await form.create.click();
	await expect(form.fieldError(form.schedule)).toContainText(/invalid hour field "25"/);
	await expect(form.schedule).toHaveValue('0 25 * * *');
	await expect(form.name).toHaveValue('Broken');
	await expectNoSeriousA11yViolations(adminPage);
});

test('output, result and error are text: a <script> in a response stays inert', async ({ adminPage, api }) => {
	const evil = await startServer({ status: 500, contentType: 'text/html', body: '<script>window.__pwned=1</script><b>bold?</b>' });
	try {
		const key = uniqueKey('e2e-xss');
		await api.createHttpJob(evil.url, { key });
		const id = await api.trigger(key);
		await api.waitForStatus(id, ['failed']);
		const run = new CronRunPage(adminPage);
		await run.goto(key, id);
		await expect(run.status).toContainText('failed');
		await expect(run.output).toContainText('<script>window.__pwned=1</script><b>bold?</b>');
		await expect(run.error).toContainText('HTTP 500 Internal Server Error (expected 2xx)');
		await run.page.getByText('Stack trace').click();
		await expect(run.stack).toContainText('Error: HTTP 500');
		expect(await adminPage.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
		await expect(run.output.locator('script, b')).toHaveCount(0);
		// The job page's history shows the message as text too.
		await adminPage.goto(`/admin/cron/${key}`);
		expect(await adminPage.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
	} finally {
		await evil.close();
	}
});

test('type command is not offered while COMMAND_JOBS is off (this server), and a forged one is refused naming type', async ({ adminPage }) => {
	const form = new NewJobPage(adminPage);
	await form.goto();
	await expect(form.type.locator('option[value="http"]')).toHaveCount(1);
	await expect(form.type.locator('option[value="command"]')).toHaveCount(0);
	await form.type.evaluate((select: HTMLSelectElement) => select.add(new Option('command', 'command')));
	await form.name.fill('Forged');
	await form.key.fill(uniqueKey('e2e-forged-cmd'));
	await form.schedule.fill(QUIET_SCHEDULE);
	await form.type.selectOption('command');
	await form.argv.fill('true');
	await form.create.click();
	await expect(form.fieldError(form.type)).toContainText('command jobs are disabled on this server');
});
