import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { monitorLoad, monitorsActions } from '$lib/server/monitors/page';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	// Live updates (this monitor's pings and status changes) re-run it.
	event.depends('app:monitors');
	return monitorLoad(event.locals.services, requireUser(event), event.params.key, event.url);
};

export const actions: Actions = {
	update: (event) => monitorsActions.update(event, requireAdmin(event), event.params.key),
	regenerate: (event) => monitorsActions.regenerate(event, requireAdmin(event), event.params.key),
	delete: (event) => monitorsActions.delete(event, requireAdmin(event), event.params.key)
};
