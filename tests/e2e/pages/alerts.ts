import type { Locator, Page } from '@playwright/test';

/** /admin/alerts */
export class AlertsPage {
	readonly heading: Locator;
	readonly channels: Locator;
	readonly notifications: Locator;
	readonly createForm: Locator;
	readonly type: Locator;
	readonly name: Locator;
	readonly url: Locator;
	readonly format: Locator;
	readonly recipients: Locator;
	readonly create: Locator;
	readonly notice: Locator;
	readonly live: Locator;

	constructor(readonly page: Page) {
		this.heading = page.getByRole('heading', { level: 1, name: 'Alerts' });
		this.channels = page.getByRole('table', { name: 'Notification channels' });
		this.notifications = page.getByRole('table', { name: 'Notifications, newest first' });
		this.createForm = page.getByRole('form', { name: 'New channel' });
		this.type = this.createForm.getByLabel('Type');
		this.name = this.createForm.getByLabel('Name');
		this.url = this.createForm.getByLabel('URL');
		this.format = this.createForm.getByLabel('Format');
		this.recipients = this.createForm.getByLabel(/^Recipients/);
		this.create = this.createForm.getByRole('button', { name: 'Create channel' });
		this.live = page.getByTestId('live-indicator');
		this.notice = page.locator('main [role="status"]:not([data-testid="live-indicator"]), main [role="alert"]').first();
	}

	async goto() {
		await this.page.goto('/admin/alerts');
	}

	channel(name: string): Locator {
		return this.channels.getByRole('row').filter({ has: this.page.getByRole('cell', { name, exact: false }) }).filter({ hasText: name });
	}

	sendTest(name: string): Locator {
		return this.channel(name).getByRole('button', { name: 'Send test', exact: true });
	}
}
