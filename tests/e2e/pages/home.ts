import type { Locator, Page } from '@playwright/test';

export class HomePage {
	readonly heading: Locator;
	readonly healthLink: Locator;

	constructor(readonly page: Page) {
		this.heading = page.getByRole('heading', { level: 1 });
		this.healthLink = page.getByRole('link', { name: 'Health check' });
	}

	async goto() {
		await this.page.goto('/');
	}
}
