import { error } from '@sveltejs/kit';
import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { deleteJob, resetToCode, runNow, saveJob, setEnabled } from '$lib/server/admin/actions';
import { runtimeDeps } from '$lib/server/admin/deps';
import { jobFormValues } from '$lib/server/admin/job-form';
import { jobPage } from '$lib/server/admin/pages';
import { jobAlertChoices, saveJobAlerts } from '$lib/server/alerts/job-alerts';
import { JOB_TYPE_NAMES } from '$lib/server/cron/registry';
import { ServiceError } from '$lib/server/errors';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = requireUser(event);
	event.depends('app:cron');
	const deps = runtimeDeps();
	try {
		const [page, alertChoices] = await Promise.all([jobPage(deps, event.params.jobId, event.url.searchParams), jobAlertChoices()]);
		// Job secrets come masked from the service, for admins too (they are write-only).
		return {
			...page,
			formValues: user.role === 'admin' ? jobFormValues(page.job) : null,
			types: JOB_TYPE_NAMES,
			alertChoices
		};
	} catch (err) {
		if (err instanceof ServiceError && err.status === 404) error(404, { message: `No job "${event.params.jobId}"`, code: 'not_found' });
		throw err;
	}
};

export const actions: Actions = {
	runNow: async (event) => runNow(event.request, requireAdmin(event), event.params.jobId),
	enable: async (event) => setEnabled(event.request, requireAdmin(event), true, event.params.jobId),
	disable: async (event) => setEnabled(event.request, requireAdmin(event), false, event.params.jobId),
	reset: async (event) => resetToCode(requireAdmin(event), event.params.jobId),
	save: async (event) => saveJob(event.request, requireAdmin(event), event.params.jobId),
	delete: async (event) => deleteJob(event.request, requireAdmin(event), event.params.jobId),
	alerts: async (event) => saveJobAlerts(event.request, requireAdmin(event), event.params.jobId)
};
