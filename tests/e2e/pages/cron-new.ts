import type { Locator, Page } from '@playwright/test';
import { AdminShell } from './admin-shell';

export type HttpJobForm = {
	name: string;
	key: string;
	schedule: string;
	url: string;
	description?: string;
	method?: string;
	headers?: string;
	body?: string;
	expectStatus?: string;
	timezone?: string;
	enabled?: boolean;
};

/** /admin/cron/new */
export class NewJobPage {
	readonly shell: AdminShell;
	readonly heading: Locator;
	readonly name: Locator;
	readonly key: Locator;
	readonly description: Locator;
	readonly type: Locator;
	readonly schedule: Locator;
	readonly schedulePreview: Locator;
	readonly timezone: Locator;
	readonly enabled: Locator;
	readonly url: Locator;
	readonly method: Locator;
	readonly headers: Locator;
	readonly body: Locator;
	readonly expectStatus: Locator;
	readonly timeoutMs: Locator;
	/** Type `command`: one argument per line. */
	readonly argv: Locator;
	readonly create: Locator;

	constructor(readonly page: Page) {
		this.shell = new AdminShell(page);
		this.heading = page.getByRole('heading', { level: 1, name: 'New job' });
		this.name = page.getByLabel('Name', { exact: true });
		this.key = page.getByLabel('Key', { exact: true });
		this.description = page.getByLabel(/^Description/);
		this.type = page.getByLabel('Type', { exact: true });
		this.schedule = page.getByLabel('Schedule', { exact: true });
		this.schedulePreview = page.getByTestId('schedule-preview');
		this.timezone = page.getByLabel('Time zone', { exact: true });
		this.enabled = page.getByLabel('Enabled', { exact: true });
		this.url = page.getByLabel('URL', { exact: true });
		this.method = page.getByLabel('Method', { exact: true });
		this.headers = page.getByLabel(/^Headers/);
		this.body = page.getByLabel(/^Body/);
		this.expectStatus = page.getByLabel(/^Expected status/);
		this.timeoutMs = page.getByLabel('Timeout (ms)', { exact: true });
		this.argv = page.getByLabel(/^Arguments/);
		this.create = page.getByRole('button', { name: 'Create job', exact: true });
	}

	/** Loads the page and lets it hydrate (no stream here, so the network goes idle). */
	async goto() {
		await this.page.goto('/admin/cron/new');
		await this.page.waitForLoadState('networkidle');
	}

	async fill(job: HttpJobForm) {
		await this.name.fill(job.name);
		await this.key.fill(job.key);
		if (job.description !== undefined) await this.description.fill(job.description);
		await this.schedule.fill(job.schedule);
		if (job.timezone !== undefined) await this.timezone.selectOption(job.timezone);
		if (job.enabled === false) await this.enabled.uncheck();
		await this.url.fill(job.url);
		if (job.method) await this.method.selectOption(job.method);
		if (job.headers !== undefined) await this.headers.fill(job.headers);
		if (job.body !== undefined) await this.body.fill(job.body);
		if (job.expectStatus !== undefined) await this.expectStatus.fill(job.expectStatus);
	}

	/** The field's error message under it. */
	fieldError(control: Locator): Locator {
		return control.locator('xpath=ancestor::div[contains(@class,"space-y-1")][1]').locator('p[id$="-error"]');
	}
}
