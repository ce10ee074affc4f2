/** The /admin shell's load: who is signed in, and global banners. */
import type { RequestEvent } from '@sveltejs/kit';
import { alertBanners } from '../../alerts/banner';
import { failedEmailAlert } from '../../email/alert';
import { liveSummary } from '../../instances/registry';
import { runtime } from '../../runtime';
import { requireUser } from '../guard';

export async function adminLayoutLoad(event: Pick<RequestEvent, 'locals' | 'url'>) {
	const user = requireUser(event);
	const rt = runtime();
	const [settings, failedEmails, live, alerts] = await Promise.all([rt.cron.settings(), failedEmailAlert(), liveSummary(rt.database.sql), alertBanners()]);
	return {
		user: { id: user.id, email: user.email, role: user.role },
		isAdmin: user.role === 'admin',
		schedulerPaused: settings['scheduler.paused'],
		/** Emails that failed for good in the last 24 h: admins are alerted in the UI. */
		failedEmails,
		/** Due queued runs that no live worker will take (a web-only deployment without a run-due caller). */
		queueUnserved: live.workers === 0 ? live.due : 0,
		/** Monitors down and notifications not delivered: shown on every page until dealt with. */
		alerts
	};
}
