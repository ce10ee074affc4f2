import type { Locator, Page } from '@playwright/test';

/** What every /admin page shares: header, navigation, signed-in user, logout, banners. */
export class AdminShell {
	readonly nav: Locator;
	readonly user: Locator;
	readonly logout: Locator;
	readonly skipLink: Locator;
	readonly main: Locator;
	readonly pausedBanner: Locator;
	/** Shown once the page runs JavaScript: `data-state` is live, connecting or reconnecting. */
	readonly liveIndicator: Locator;

	constructor(readonly page: Page) {
		this.nav = page.getByRole('navigation', { name: 'Admin' });
		this.user = page.getByTestId('signed-in-user');
		this.logout = page.getByRole('button', { name: 'Log out' });
		this.skipLink = page.getByRole('link', { name: 'Skip to content' });
		this.main = page.locator('main#main');
		this.pausedBanner = page.getByText('Scheduler paused', { exact: true });
		this.liveIndicator = page.getByTestId('live-indicator');
	}

	navLink(name: string): Locator {
		return this.nav.getByRole('link', { name, exact: true });
	}
}
