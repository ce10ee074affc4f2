import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { monitorsActions, monitorsLoad } from '$lib/server/monitors/page';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	// Live updates (monitor pings and status changes) re-run it.
	event.depends('app:monitors');
	return monitorsLoad(event.locals.services, requireUser(event));
};

export const actions: Actions = {
	create: (event) => monitorsActions.create(event, requireAdmin(event))
};
