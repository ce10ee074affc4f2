import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { bulk, runNow, setEnabled } from '$lib/server/admin/actions';
import { cronListPage } from '$lib/server/admin/pages';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	event.depends('app:cron');
	return { list: await cronListPage(event.locals.services, event.url.searchParams) };
};

export const actions: Actions = {
	runNow: async (event) => runNow(event, requireAdmin(event)),
	enable: async (event) => setEnabled(event, requireAdmin(event), true),
	disable: async (event) => setEnabled(event, requireAdmin(event), false),
	bulk: async (event) => bulk(event, requireAdmin(event))
};
