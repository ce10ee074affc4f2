import { requireUser } from '$lib/server/auth/guard';
import { runtimeDeps } from '$lib/server/admin/deps';
import { executionsPage } from '$lib/server/admin/pages';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	event.depends('app:cron');
	return executionsPage(runtimeDeps(), event.url.searchParams);
};
