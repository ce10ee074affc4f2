import { requireUser } from '$lib/server/auth/guard';
import { listAudit } from '$lib/server/admin/audit';
import { runtime } from '$lib/server/runtime';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	event.depends('app:cron');
	const rt = runtime();
	const [audit, settings] = await Promise.all([listAudit(rt.database.sql, event.url.searchParams), rt.cron.settings()]);
	return { audit, zone: settings['scheduler.defaultTimezone'] };
};
