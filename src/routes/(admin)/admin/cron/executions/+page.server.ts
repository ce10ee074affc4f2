import { requireUser } from '$lib/server/auth/guard';
import { executionsPage } from '$lib/server/admin/pages';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	event.depends('app:cron');
	return executionsPage(event.locals.services, event.url.searchParams);
};
