import { fail } from '@sveltejs/kit';
import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { actorOf } from '$lib/server/admin/actions';
import { SETTING_DESCRIPTIONS } from '$lib/server/cron/settings';
import { ServiceError } from '$lib/server/errors';
import { runtime } from '$lib/server/runtime';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireUser(event);
	event.depends('app:cron');
	return { settings: await runtime().cron.settings(), descriptions: SETTING_DESCRIPTIONS };
};

export const actions: Actions = {
	save: async (event) => {
		const admin = requireAdmin(event);
		const data = await event.request.formData();
		const retention = String(data.get('retentionDays') ?? '').trim();
		const values = { paused: data.has('paused'), retentionDays: retention, defaultTimezone: String(data.get('defaultTimezone') ?? '') };
		try {
			await runtime().cron.updateSettings(
				{
					'scheduler.paused': values.paused,
					'executions.retentionDays': retention === '' ? Number.NaN : Number(retention),
					'scheduler.defaultTimezone': values.defaultTimezone
				},
				actorOf(admin)
			);
			return { message: 'Settings saved.' };
		} catch (err) {
			if (!(err instanceof ServiceError)) throw err;
			const field = (path: string) =>
				path === 'executions.retentionDays' ? 'retentionDays' : path === 'scheduler.defaultTimezone' ? 'defaultTimezone' : path === 'scheduler.paused' ? 'paused' : 'form';
			const errors: Record<string, string> = {};
			for (const issue of err.issues) errors[field(issue.path)] ??= issue.message;
			return fail(err.status, { message: err.message, errors, values });
		}
	}
};
