import type { Locator, Page } from '@playwright/test';
import { AdminShell } from './admin-shell';

/** /admin/cron/settings */
export class CronSettingsPage {
	readonly shell: AdminShell;
	/** The last action's message, shown once after its redirect (the admin layout's). */
	readonly flash: Locator;
	readonly heading: Locator;
	readonly paused: Locator;
	readonly retentionDays: Locator;
	readonly defaultTimezone: Locator;
	readonly save: Locator;
	readonly notice: Locator;

	constructor(readonly page: Page) {
		this.shell = new AdminShell(page);
		this.heading = page.getByRole('heading', { level: 1, name: 'Scheduler settings' });
		this.paused = page.getByLabel('Pause all scheduled runs');
		this.retentionDays = page.getByLabel(/^Run history retention/);
		this.defaultTimezone = page.getByLabel('Default time zone');
		this.save = page.getByRole('button', { name: 'Save settings' });
		this.flash = page.getByTestId('flash');
		this.notice = page.locator('main [role="status"], main [role="alert"]');
	}

	/** Loads the page and lets it hydrate (no stream here, so the network goes idle). */
	async goto() {
		await this.page.goto('/admin/cron/settings');
		await this.page.waitForLoadState('networkidle');
	}
}
