/** The /admin shell's load: who is signed in, and global banners. */
import type { RequestEvent } from '@sveltejs/kit';
import { failedEmailAlert } from '../../email/alert';
import { liveSummary } from '../../instances/registry';
import { requireUser } from '../guard';

export async function adminLayoutLoad(event: Pick<RequestEvent, 'locals' | 'url'>) {
	const user = requireUser(event);
	const { cron, sql } = event.locals.services;
	const [settings, failedEmails, live] = await Promise.all([cron.settings(), failedEmailAlert(sql), liveSummary(sql)]);
	return {
		user: { id: user.id, email: user.email, role: user.role },
		/** The one permission flag of every admin page: may this user change things? */
		isAdmin: user.role === 'admin',
		schedulerPaused: settings['scheduler.paused'],
		/** Emails that failed for good in the last 24 h: admins are alerted in the UI. */
		failedEmails,
		/** Due queued runs that no live worker will take (a web-only deployment without a run-due caller). */
		queueUnserved: live.workers === 0 ? live.due : 0
	};
}
