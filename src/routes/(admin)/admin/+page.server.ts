import { requireUser } from '$lib/server/auth/guard';
import { overview } from '$lib/server/admin/overview';
import type { PageServerLoad } from './$types';

/** /admin: the overview (lib/server/admin/overview.ts). */
export const load: PageServerLoad = async (event) => {
	requireUser(event);
	event.depends('app:cron');
	const { cron, sql } = event.locals.services;
	const [data, settings] = await Promise.all([overview({ cron, sql }), cron.settings()]);
	return { overview: data, zone: settings['scheduler.defaultTimezone'] };
};
