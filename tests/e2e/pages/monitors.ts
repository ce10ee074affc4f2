import type { Locator, Page } from '@playwright/test';

/** The monitor form of /admin/monitors (create) and /admin/monitors/[key] (edit). */
class MonitorFormParts {
	readonly key: Locator;
	readonly name: Locator;
	readonly everyPeriod: Locator;
	readonly period: Locator;
	readonly onSchedule: Locator;
	readonly schedule: Locator;
	readonly grace: Locator;

	constructor(form: Locator) {
		this.key = form.getByRole('textbox', { name: 'Key' });
		this.name = form.getByRole('textbox', { name: 'Name' });
		this.everyPeriod = form.getByRole('radio', { name: 'Every period' });
		this.period = form.getByRole('textbox', { name: 'Period' });
		this.onSchedule = form.getByRole('radio', { name: 'On a schedule' });
		this.schedule = form.getByRole('textbox', { name: 'Schedule' });
		this.grace = form.getByRole('textbox', { name: 'Grace' });
	}
}

/** /admin/monitors */
export class MonitorsPage {
	readonly heading: Locator;
	readonly table: Locator;
	readonly form: MonitorFormParts;
	readonly create: Locator;
	readonly pingUrl: Locator;
	readonly copyUrl: Locator;
	readonly live: Locator;

	constructor(readonly page: Page) {
		this.heading = page.getByRole('heading', { level: 1, name: 'Monitors' });
		this.table = page.getByRole('table', { name: 'Monitors' });
		const region = page.getByRole('region', { name: 'New monitor' });
		this.form = new MonitorFormParts(region);
		this.create = region.getByRole('button', { name: 'Create monitor' });
		this.pingUrl = page.getByTestId('ping-url');
		this.copyUrl = page.getByRole('button', { name: 'Copy URL' });
		this.live = page.getByTestId('live-indicator');
	}

	/**
	 * Loads the list; with JavaScript, waits until it is hydrated and live (a form filled earlier
	 * is reset by hydration).
	 */
	async goto(o: { javaScript: boolean } = { javaScript: true }) {
		await this.page.goto('/admin/monitors');
		if (o.javaScript) await this.page.getByTestId('live-indicator').filter({ hasText: 'Live' }).waitFor();
	}

	row(key: string): Locator {
		return this.table.locator(`tr[data-monitor="${key}"]`);
	}
}

/** /admin/monitors/[key] */
export class MonitorPage {
	readonly heading: Locator;
	readonly status: Locator;
	readonly lastPing: Locator;
	readonly flips: Locator;
	readonly pings: Locator;
	readonly regenerate: Locator;
	readonly pingUrl: Locator;
	readonly live: Locator;
	readonly form: MonitorFormParts;
	readonly save: Locator;

	constructor(readonly page: Page) {
		this.heading = page.getByRole('heading', { level: 1 });
		this.status = page.getByTestId('monitor-status');
		this.lastPing = page.getByTestId('last-ping');
		this.flips = page.getByRole('table', { name: /^Status changes of/ });
		this.pings = page.getByRole('table', { name: /^Pings of/ });
		this.regenerate = page.getByRole('button', { name: 'Regenerate', exact: true });
		this.pingUrl = page.getByTestId('ping-url');
		this.live = page.getByTestId('live-indicator');
		const settings = page.getByRole('region', { name: 'Settings' });
		this.form = new MonitorFormParts(settings);
		this.save = settings.getByRole('button', { name: 'Save', exact: true });
	}

	async goto(key: string) {
		await this.page.goto(`/admin/monitors/${key}`);
	}
}
