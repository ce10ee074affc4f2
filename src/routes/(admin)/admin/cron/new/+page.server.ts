import { redirect } from '@sveltejs/kit';
import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { actorOf } from '$lib/server/admin/actions';
import { createInput, jobFormFailure, readJobForm } from '$lib/server/admin/job-form';
import { JOB_TYPE_NAMES } from '$lib/server/cron/registry';
import { runtime } from '$lib/server/runtime';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	const settings = await runtime().cron.settings();
	return { types: JOB_TYPE_NAMES, defaultZone: settings['scheduler.defaultTimezone'] };
};

export const actions: Actions = {
	create: async (event) => {
		const admin = requireAdmin(event);
		const values = readJobForm(await event.request.formData());
		let key: string;
		try {
			key = (await runtime().cron.createJob(createInput(values), actorOf(admin))).key;
		} catch (err) {
			return jobFormFailure(err, values);
		}
		redirect(303, `/admin/cron/${encodeURIComponent(key)}?created=1`);
	}
};
