import type { Locator, Page } from '@playwright/test';
import { AdminShell } from './admin-shell';

/** /admin/cron/[key]/executions/[id] */
export class CronRunPage {
	readonly shell: AdminShell;
	/** The last action's message, shown once after its redirect (the admin layout's). */
	readonly flash: Locator;
	readonly heading: Locator;
	readonly status: Locator;
	readonly cancel: Locator;
	readonly retry: Locator;
	readonly output: Locator;
	/** The output's scrolling box: `data-following` says whether it keeps the newest line in view. */
	readonly outputBox: Locator;
	readonly followOutput: Locator;
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
		this.flash = page.getByTestId('flash');
		this.status = page.getByTestId('run-status');
		this.cancel = page.getByRole('button', { name: 'Cancel', exact: true });
		this.retry = page.getByRole('button', { name: 'Retry', exact: true });
		this.output = page.getByTestId('run-output');
		this.outputBox = page.getByTestId('run-output-box');
		this.followOutput = page.getByRole('button', { name: 'Follow output' });
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
