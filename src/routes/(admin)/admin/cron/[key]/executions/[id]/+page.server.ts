import { error, redirect } from '@sveltejs/kit';
import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { cancelRun } from '$lib/server/admin/actions';
import { runtimeDeps } from '$lib/server/admin/deps';
import { executionPage } from '$lib/server/admin/pages';
import { ServiceError } from '$lib/server/errors';
import type { Actions, PageServerLoad } from './$types';

function runId(raw: string): number {
	const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN;
	if (!Number.isSafeInteger(id)) error(404, { message: `No run "${raw}"`, code: 'not_found' });
	return id;
}

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	event.depends('app:cron');
	const id = runId(event.params.id);
	try {
		const page = await executionPage(runtimeDeps(), event.params.key, id);
		// A run reached under another job's URL: send it to its own.
		if (page.run.jobKey !== event.params.key) redirect(308, `/admin/cron/${encodeURIComponent(page.run.jobKey)}/executions/${id}`);
		return page;
	} catch (err) {
		if (err instanceof ServiceError && err.status === 404) error(404, { message: `No run #${id}`, code: 'not_found' });
		throw err;
	}
};

export const actions: Actions = {
	cancel: async (event) => cancelRun(requireAdmin(event), runId(event.params.id))
};
