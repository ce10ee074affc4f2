import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { createJob } from '$lib/server/admin/actions';
import { zoneChoices } from '$lib/server/admin/zones';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	const { cron } = event.locals.services;
	const settings = await cron.settings();
	return { types: cron.typeNames(), defaultZone: settings['scheduler.defaultTimezone'], zones: zoneChoices() };
};

export const actions: Actions = {
	create: async (event) => createJob(event, requireAdmin(event))
};
