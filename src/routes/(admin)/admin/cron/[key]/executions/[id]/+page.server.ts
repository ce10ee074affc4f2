import { error, redirect } from '@sveltejs/kit';
import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { cancelExecution, retryExecution } from '$lib/server/admin/actions';
import { executionPage } from '$lib/server/admin/pages';
import { ServiceError } from '$lib/server/errors';
import type { Actions, PageServerLoad } from './$types';

/** The execution id of the URL; anything but a positive integer is a 404, as an unknown id. */
function executionId(raw: string): number {
	const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN;
	if (!Number.isSafeInteger(id)) error(404, { message: `No run "${raw}"`, code: 'not_found' });
	return id;
}

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	event.depends('app:cron');
	const id = executionId(event.params.id);
	try {
		const page = await executionPage(event.locals.services, id);
		// A run reached under another job's URL: send it to its own.
		if (page.execution.jobKey !== event.params.key) redirect(308, `/admin/cron/${encodeURIComponent(page.execution.jobKey)}/executions/${id}`);
		return page;
	} catch (err) {
		if (err instanceof ServiceError && err.status === 404) error(404, { message: `No run #${id}`, code: 'not_found' });
		throw err;
	}
};

export const actions: Actions = {
	cancel: async (event) => cancelExecution(event, requireAdmin(event), executionId(event.params.id)),
	retry: async (event) => retryExecution(event, requireAdmin(event), executionId(event.params.id))
};
