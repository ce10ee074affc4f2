import { redirect } from '@sveltejs/kit';
import { requireUser } from '$lib/server/auth/guard';
import type { PageServerLoad } from './$types';

/** /admin is the cron jobs list. */
export const load: PageServerLoad = (event) => {
	requireUser(event);
	redirect(307, '/admin/cron');
};
