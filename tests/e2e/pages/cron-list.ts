import type { Locator, Page } from '@playwright/test';
import { AdminShell } from './admin-shell';

/** /admin/cron */
export class CronListPage {
	readonly shell: AdminShell;
	/** The last action's message, shown once after its redirect (the admin layout's). */
	readonly flash: Locator;
	readonly heading: Locator;
	readonly table: Locator;
	readonly search: Locator;
	readonly state: Locator;
	readonly source: Locator;
	readonly filter: Locator;
	readonly notice: Locator;
	readonly live: Locator;
	readonly newJob: Locator;

	constructor(readonly page: Page) {
		this.shell = new AdminShell(page);
		this.heading = page.getByRole('heading', { level: 1, name: 'Cron jobs' });
		this.table = page.getByRole('table', { name: 'Cron jobs' });
		const filters = page.getByRole('search', { name: 'Filter jobs' });
		this.search = filters.getByLabel('Search');
		this.state = filters.getByLabel('State');
		this.source = filters.getByLabel('Source');
		this.filter = filters.getByRole('button', { name: 'Filter' });
		this.flash = page.getByTestId('flash');
		this.notice = page.locator('main [role="status"]:not([data-testid="live-indicator"]), main [role="alert"]');
		this.live = page.getByTestId('live-indicator');
		this.newJob = page.getByRole('link', { name: 'New job' });
	}

	async goto(query = '') {
		await this.page.goto(`/admin/cron${query}`);
	}

	/** Waits until the live stream is connected (so later changes arrive without a reload). */
	async waitForLive() {
		await this.live.filter({ hasText: 'Live' }).waitFor();
	}

	row(key: string): Locator {
		return this.table.locator(`tr[data-job="${key}"]`);
	}

	runNow(key: string): Locator {
		return this.row(key).getByRole('button', { name: 'Run now', exact: true });
	}

	enable(key: string): Locator {
		return this.row(key).getByRole('button', { name: 'Enable', exact: true });
	}

	disable(key: string): Locator {
		return this.row(key).getByRole('button', { name: 'Disable', exact: true });
	}

	/** The row's checkbox for the bulk actions. */
	select(key: string): Locator {
		return this.row(key).getByRole('checkbox', { name: `Select ${key}` });
	}

	/** A bulk action's button (Run now, Enable, Disable) for the checked rows. */
	bulk(name: 'Run now' | 'Enable' | 'Disable'): Locator {
		return this.page.getByRole('form', { name: 'Selected jobs' }).getByRole('button', { name, exact: true });
	}

	/** The row's last-run status pill (e.g. "succeeded"). */
	lastStatus(key: string): Locator {
		return this.row(key).getByTestId('last-run');
	}

	rowKeys(): Promise<string[]> {
		return this.table.locator('tr[data-job]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job') ?? ''));
	}
}
