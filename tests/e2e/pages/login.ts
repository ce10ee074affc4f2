import type { Locator, Page } from '@playwright/test';

/** /login */
export class LoginPage {
	readonly heading: Locator;
	readonly email: Locator;
	readonly password: Locator;
	readonly submit: Locator;
	readonly error: Locator;

	constructor(readonly page: Page) {
		this.heading = page.getByRole('heading', { level: 1, name: 'Sign in' });
		this.email = page.getByLabel('Email');
		this.password = page.getByLabel('Password');
		this.submit = page.getByRole('button', { name: 'Sign in' });
		this.error = page.getByRole('alert');
	}

	async goto(redirectTo?: string) {
		await this.page.goto(redirectTo ? `/login?redirectTo=${encodeURIComponent(redirectTo)}` : '/login');
	}

	async login(email: string, password: string) {
		await this.email.fill(email);
		await this.password.fill(password);
		await this.submit.click();
	}
}
