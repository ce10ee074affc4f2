import { error } from '@sveltejs/kit';
import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { deleteJob, resetToCode, runNow, saveJob, setEnabled } from '$lib/server/admin/actions';
import { jobFormValues } from '$lib/server/admin/job-form';
import { jobPage } from '$lib/server/admin/pages';
import { jobAlertChoices, saveJobAlerts } from '$lib/server/alerts/job-alerts';
import { zoneChoices } from '$lib/server/admin/zones';
import { ServiceError } from '$lib/server/errors';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = requireUser(event);
	event.depends('app:cron');
	const { cron } = event.locals.services;
	try {
		const [page, alertChoices] = await Promise.all([jobPage(event.locals.services, event.params.key, event.url.searchParams), jobAlertChoices(event.locals.services)]);
		// Job secrets come masked from the service, for admins too (they are write-only).
		const admin = user.role === 'admin';
		return {
			...page,
			formValues: admin ? jobFormValues(page.job) : null,
			types: cron.typeNames(),
			zones: admin ? zoneChoices(page.job.timezoneOverride) : [],
			alertChoices
		};
	} catch (err) {
		if (err instanceof ServiceError && err.status === 404) error(404, { message: `No job "${event.params.key}"`, code: 'not_found' });
		throw err;
	}
};

export const actions: Actions = {
	runNow: async (event) => runNow(event, requireAdmin(event), event.params.key),
	enable: async (event) => setEnabled(event, requireAdmin(event), true, event.params.key),
	disable: async (event) => setEnabled(event, requireAdmin(event), false, event.params.key),
	reset: async (event) => resetToCode(event, requireAdmin(event), event.params.key),
	save: async (event) => saveJob(event, requireAdmin(event), event.params.key),
	delete: async (event) => deleteJob(event, requireAdmin(event), event.params.key),
	alerts: async (event) => saveJobAlerts(event, requireAdmin(event), event.params.key)
};
