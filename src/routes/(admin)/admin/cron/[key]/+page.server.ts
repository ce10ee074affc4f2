import { error } from '@sveltejs/kit';
import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { deleteJob, resetToCode, runNow, saveJob, setEnabled } from '$lib/server/admin/actions';
import { runtimeDeps } from '$lib/server/admin/deps';
import { jobFormValues } from '$lib/server/admin/job-form';
import { jobPage } from '$lib/server/admin/pages';
import { JOB_TYPE_NAMES } from '$lib/server/cron/registry';
import { ServiceError } from '$lib/server/errors';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = requireUser(event);
	event.depends('app:cron');
	const deps = runtimeDeps();
	try {
		const page = await jobPage(deps, event.params.key, event.url.searchParams);
		// Job secrets come masked from the service, for admins too (they are write-only).
		return {
			...page,
			formValues: user.role === 'admin' ? jobFormValues(page.job) : null,
			types: JOB_TYPE_NAMES
		};
	} catch (err) {
		if (err instanceof ServiceError && err.status === 404) error(404, { message: `No job "${event.params.key}"`, code: 'not_found' });
		throw err;
	}
};

export const actions: Actions = {
	runNow: async (event) => runNow(event.request, requireAdmin(event), event.params.key),
	enable: async (event) => setEnabled(event.request, requireAdmin(event), true, event.params.key),
	disable: async (event) => setEnabled(event.request, requireAdmin(event), false, event.params.key),
	reset: async (event) => resetToCode(requireAdmin(event), event.params.key),
	save: async (event) => saveJob(event.request, requireAdmin(event), event.params.key),
	delete: async (event) => deleteJob(event.request, requireAdmin(event), event.params.key)
};
