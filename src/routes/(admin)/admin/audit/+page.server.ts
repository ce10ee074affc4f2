import { requireUser } from '$lib/server/auth/guard';
import { listAudit } from '$lib/server/admin/audit';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	event.depends('app:cron');
	const { sql, cron } = event.locals.services;
	const [audit, settings] = await Promise.all([listAudit(sql, event.url.searchParams), cron.settings()]);
	return { audit, zone: settings['scheduler.defaultTimezone'] };
};
