import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { alertsActions, alertsLoad } from '$lib/server/alerts/page';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	event.depends('app:alerts');
	return alertsLoad(event.locals.services, requireUser(event), event.url);
};

export const actions: Actions = {
	create: (event) => alertsActions.create(event, requireAdmin(event)),
	update: (event) => alertsActions.update(event, requireAdmin(event)),
	delete: (event) => alertsActions.delete(event, requireAdmin(event)),
	test: (event) => {
		requireAdmin(event);
		return alertsActions.test(event);
	},
	defaults: (event) => alertsActions.defaults(event, requireAdmin(event))
};
