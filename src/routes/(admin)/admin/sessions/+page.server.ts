import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { sessionsActions, sessionsLoad } from '$lib/server/devices/page';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	requireUser(event);
	event.depends('app:sessions');
	return sessionsLoad(event.locals.services.sql, event.url);
};

export const actions: Actions = {
	create: (event) => sessionsActions.create(event, requireAdmin(event)),
	end: (event) => sessionsActions.end(event, requireAdmin(event)),
	revoke: (event) => sessionsActions.revoke(event, requireAdmin(event))
};
