/**
 * The cron pages' tests: the suite's `test` (signed-in adminPage/viewerPage) plus the REST
 * API (to set up jobs fast) and the app's own URL as its scheduler reaches it.
 */
import { test as base } from '../fixtures';
import { CronApi } from '../helpers/api';

export const test = base.extend<{ api: CronApi; selfURL: string }>({
	api: async ({ request }, use) => {
		await use(new CronApi(request));
	},
	selfURL: async ({ baseURL }, use) => {
		const url = new URL(baseURL!);
		url.hostname = '127.0.0.1';
		await use(url.origin);
	}
});

export { expect } from '../fixtures';

/** A job key no other test uses (tests run in parallel). */
export { QUIET_SCHEDULE, uniqueKey } from '../helpers/api';
