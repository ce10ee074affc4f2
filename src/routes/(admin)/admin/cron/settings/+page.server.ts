import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { saveSettings } from '$lib/server/admin/actions';
import { SETTING_DESCRIPTIONS } from '$lib/server/cron/settings';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	event.depends('app:cron');
	return { settings: await event.locals.services.cron.settings(), descriptions: SETTING_DESCRIPTIONS };
};

export const actions: Actions = {
	save: async (event) => saveSettings(event.locals.services.cron, event.request, requireAdmin(event))
};
