import type { Locator, Page } from '@playwright/test';
import { AdminShell } from './admin-shell';

/** /admin/cron/[key]/executions/[id] */
export class CronRunPage {
	readonly shell: AdminShell;
	readonly heading: Locator;
	readonly status: Locator;
	readonly cancel: Locator;
	readonly output: Locator;
	readonly result: Locator;
	readonly error: Locator;
	readonly stack: Locator;
	readonly timeline: Locator;
	readonly live: Locator;
	readonly retryChain: Locator;
	readonly details: Locator;

	constructor(readonly page: Page) {
		this.shell = new AdminShell(page);
		this.heading = page.getByRole('heading', { level: 1 });
		this.status = page.getByTestId('run-status');
		this.cancel = page.getByRole('button', { name: 'Cancel', exact: true });
		this.output = page.getByTestId('run-output');
		this.result = page.getByTestId('run-result');
		this.error = page.getByTestId('run-error');
		this.stack = page.getByTestId('run-stack');
		this.timeline = page.getByTestId('timeline');
		this.live = page.getByTestId('live-indicator');
		this.retryChain = page.getByRole('list', { name: 'Retry chain' });
		this.details = page.getByRole('region', { name: 'Details' });
	}

	async goto(key: string, id: number) {
		await this.page.goto(`/admin/cron/${key}/executions/${id}`);
	}

	async waitForLive() {
		await this.live.filter({ hasText: 'Live' }).waitFor();
	}
}
