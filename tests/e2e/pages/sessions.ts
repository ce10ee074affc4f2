import type { Locator, Page } from '@playwright/test';

/** /admin/sessions */
export class SessionsPage {
	readonly heading: Locator;
	readonly table: Locator;
	readonly createForm: Locator;
	readonly label: Locator;
	readonly email: Locator;
	readonly createButton: Locator;
	readonly createdKey: Locator;

	constructor(readonly page: Page) {
		this.heading = page.getByRole('heading', { level: 1, name: 'Sessions' });
		this.table = page.getByRole('table', { name: 'Access keys' });
		this.createForm = page.getByRole('form', { name: 'New access key' });
		this.label = this.createForm.getByLabel('Label');
		this.email = this.createForm.getByLabel('Email');
		this.createButton = this.createForm.getByRole('button', { name: 'Create key' });
		this.createdKey = page.getByTestId('created-key');
	}

	async goto() {
		await this.page.goto('/admin/sessions');
	}

	/** The row of the key with this label. */
	row(label: string): Locator {
		return this.table.getByRole('row').filter({ hasText: label });
	}

	/** Creates a key in the form and returns the plain key shown once. */
	async create(label: string, email = ''): Promise<string> {
		await this.label.fill(label);
		await this.email.fill(email);
		await this.createButton.click();
		return (await this.createdKey.textContent({ timeout: 10_000 }))!.trim();
	}
}

/** /admin/email */
export class EmailPage {
	readonly heading: Locator;
	readonly table: Locator;
	readonly filters: Locator;

	constructor(readonly page: Page) {
		this.heading = page.getByRole('heading', { level: 1, name: 'Email' });
		this.table = page.getByRole('table', { name: 'Outbox emails, newest first' });
		this.filters = page.getByRole('form', { name: 'Filter by status' });
	}

	async goto(query = '') {
		await this.page.goto(`/admin/email${query}`);
	}

	row(text: string): Locator {
		return this.table.getByRole('row').filter({ hasText: text });
	}
}
