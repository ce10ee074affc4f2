import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { saveSettings } from '$lib/server/admin/actions';
import { zoneChoices } from '$lib/server/admin/zones';
import { SETTING_DESCRIPTIONS } from '$lib/server/cron/settings';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	event.depends('app:cron');
	const settings = await event.locals.services.cron.settings();
	return { settings, descriptions: SETTING_DESCRIPTIONS, zones: zoneChoices(settings['scheduler.defaultTimezone']) };
};

export const actions: Actions = {
	save: async (event) => saveSettings(event, requireAdmin(event))
};
