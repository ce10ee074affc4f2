import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { emailActions, emailLoad } from '$lib/server/email/page';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	requireUser(event);
	event.depends('app:email');
	return emailLoad(event.locals.services, event.url);
};

export const actions: Actions = {
	retry: (event) => emailActions.retry(event, requireAdmin(event))
};
