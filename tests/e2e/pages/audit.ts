import type { Locator, Page } from '@playwright/test';
import { AdminShell } from './admin-shell';

/** /admin/audit */
export class AuditPage {
	readonly shell: AdminShell;
	readonly heading: Locator;
	readonly table: Locator;
	readonly entity: Locator;
	readonly entityId: Locator;
	readonly filter: Locator;

	constructor(readonly page: Page) {
		this.shell = new AdminShell(page);
		this.heading = page.getByRole('heading', { level: 1, name: 'Audit log' });
		this.table = page.getByRole('table', { name: 'Audit log' });
		const form = page.getByRole('form', { name: 'Filter the audit log' });
		this.entity = form.getByLabel('Entity', { exact: true });
		this.entityId = form.getByLabel(/^Entity id/);
		this.filter = form.getByRole('button', { name: 'Filter' });
	}

	async goto(query = '') {
		await this.page.goto(`/admin/audit${query}`);
	}

	/** Entries of an action (e.g. `job.update`), newest first. */
	entries(action: string): Locator {
		return this.table.locator(`tr[data-action="${action}"]`);
	}
}
