import type { Locator, Page } from '@playwright/test';
import { AdminShell } from './admin-shell';

/** /admin/cron/executions */
export class RunsPage {
	readonly shell: AdminShell;
	readonly heading: Locator;
	readonly table: Locator;
	readonly job: Locator;
	readonly status: Locator;
	readonly trigger: Locator;
	readonly from: Locator;
	readonly to: Locator;
	readonly filter: Locator;
	readonly older: Locator;
	readonly newer: Locator;
	readonly live: Locator;

	constructor(readonly page: Page) {
		this.shell = new AdminShell(page);
		this.heading = page.getByRole('heading', { level: 1, name: 'Runs' });
		this.table = page.getByRole('table', { name: 'Runs' });
		const form = page.getByRole('form', { name: 'Filter runs' });
		this.job = form.getByLabel('Job', { exact: true });
		this.status = form.getByLabel('Status', { exact: true });
		this.trigger = form.getByLabel('Trigger', { exact: true });
		this.from = form.getByLabel(/^From/);
		this.to = form.getByLabel(/^To/);
		this.filter = form.getByRole('button', { name: 'Filter' });
		this.older = page.getByRole('link', { name: 'Older', exact: true });
		this.newer = page.getByRole('link', { name: 'Newer', exact: true });
		this.live = page.getByTestId('live-indicator');
	}

	/** Hydrated and connected: a filter chosen now is not reset by hydration. */
	async waitForLive() {
		await this.live.filter({ hasText: 'Live' }).waitFor();
	}

	async goto(query = '') {
		await this.page.goto(`/admin/cron/executions${query}`);
	}

	runIds(): Promise<number[]> {
		return this.table.locator('tr[data-run-id]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-run-id'))));
	}
}
