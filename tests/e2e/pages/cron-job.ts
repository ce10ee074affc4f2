import type { Locator, Page } from '@playwright/test';
import { AdminShell } from './admin-shell';

/** /admin/cron/[key] */
export class CronJobPage {
	readonly shell: AdminShell;
	/** The last action's message, shown once after its redirect (the admin layout's). */
	readonly flash: Locator;
	readonly heading: Locator;
	readonly runNow: Locator;
	readonly enable: Locator;
	readonly disable: Locator;
	readonly resetToCode: Locator;
	readonly deleteButton: Locator;
	readonly confirmDelete: Locator;
	readonly notice: Locator;
	readonly live: Locator;
	readonly nextRun: Locator;
	readonly stats: Locator;
	readonly chart: Locator;
	readonly configuration: Locator;
	readonly history: Locator;
	readonly editForm: Locator;
	readonly schedule: Locator;
	readonly schedulePreview: Locator;
	readonly timezone: Locator;
	readonly save: Locator;
	readonly older: Locator;
	readonly newer: Locator;

	constructor(readonly page: Page) {
		this.shell = new AdminShell(page);
		this.heading = page.getByRole('heading', { level: 1 });
		this.runNow = page.getByRole('button', { name: 'Run now', exact: true });
		this.enable = page.getByRole('button', { name: 'Enable', exact: true });
		this.disable = page.getByRole('button', { name: 'Disable', exact: true });
		this.resetToCode = page.getByRole('button', { name: 'Reset to code default', exact: true });
		this.deleteButton = page.getByRole('button', { name: 'Delete', exact: true });
		this.confirmDelete = page.getByLabel(/^Yes, delete/);
		this.flash = page.getByTestId('flash');
		this.notice = page.locator('main [role="status"]:not([data-testid="live-indicator"]), main [role="alert"]');
		this.live = page.getByTestId('live-indicator');
		this.nextRun = page.getByTestId('next-run');
		this.stats = page.getByTestId('job-stats');
		this.chart = page.getByTestId('duration-chart');
		this.configuration = page.getByRole('table', { name: 'Configuration' });
		this.history = page.getByRole('table', { name: /^Run history of/ });
		this.editForm = page.getByRole('region', { name: 'Edit' });
		this.schedule = this.editForm.getByLabel('Schedule');
		this.schedulePreview = this.editForm.getByTestId('schedule-preview');
		this.timezone = this.editForm.getByLabel('Time zone');
		this.save = this.editForm.getByRole('button', { name: 'Save', exact: true });
		this.older = page.getByRole('link', { name: 'Older', exact: true });
		this.newer = page.getByRole('link', { name: 'Newer', exact: true });
	}

	async goto(key: string, query = '') {
		await this.page.goto(`/admin/cron/${key}${query}`);
	}

	async waitForLive() {
		await this.live.filter({ hasText: 'Live' }).waitFor();
	}

	/** The id of the run the last Run now (or Retry) queued, once its message shows. */
	async queuedRunId(): Promise<number> {
		const flash = this.page.getByTestId('flash').filter({ hasText: /Run #\d+/ });
		await flash.waitFor();
		return Number((await flash.textContent())!.match(/Run #(\d+)/)![1]);
	}

	/** A run's row in the history table. */
	run(id: number): Locator {
		return this.history.locator(`tr[data-run-id="${id}"]`);
	}

	/** The configuration row of a setting (data-drift says whether it differs from code). */
	setting(field: string): Locator {
		return this.configuration.locator(`tr[data-setting="${field}"]`);
	}

	/** The field's error message under it (Field wires it as aria-describedby). */
	fieldError(control: Locator): Locator {
		return control.locator('xpath=ancestor::div[contains(@class,"space-y-1")][1]').locator('p[id$="-error"]');
	}
}
