import type { Locator, Page } from '@playwright/test';
import { AdminShell } from './admin-shell';

/** /admin/users */
export class UsersPage {
	readonly shell: AdminShell;
	readonly heading: Locator;
	readonly table: Locator;
	readonly addForm: Locator;
	readonly newEmail: Locator;
	readonly newRole: Locator;
	readonly newPassword: Locator;
	readonly addButton: Locator;
	readonly notice: Locator;

	constructor(readonly page: Page) {
		this.shell = new AdminShell(page);
		this.heading = page.getByRole('heading', { level: 1, name: 'Users' });
		this.table = page.getByRole('table', { name: 'Users' });
		this.addForm = page.getByRole('form', { name: 'Add a user' });
		this.newEmail = this.addForm.getByLabel('Email');
		this.newRole = this.addForm.getByLabel('Role');
		this.newPassword = this.addForm.getByLabel('Initial password');
		this.addButton = this.addForm.getByRole('button', { name: 'Add user' });
		this.notice = page.getByRole('status');
	}

	async goto() {
		await this.page.goto('/admin/users');
	}

	row(email: string): Locator {
		return this.table.getByRole('row').filter({ has: this.page.getByRole('cell', { name: email, exact: true }) });
	}

	async add(email: string, role: 'admin' | 'viewer', password = '') {
		await this.newEmail.fill(email);
		await this.newRole.selectOption(role);
		await this.newPassword.fill(password);
		await this.addButton.click();
	}
}
