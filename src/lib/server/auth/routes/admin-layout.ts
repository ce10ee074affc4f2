/** The /admin shell's load: who is signed in, and global banners. */
import type { RequestEvent } from '@sveltejs/kit';
import { failedEmailAlert } from '../../email/alert';
import { runtime } from '../../runtime';
import { requireUser } from '../guard';

export async function adminLayoutLoad(event: Pick<RequestEvent, 'locals' | 'url'>) {
	const user = requireUser(event);
	const [settings, failedEmails] = await Promise.all([runtime().cron.settings(), failedEmailAlert()]);
	return {
		user: { id: user.id, email: user.email, role: user.role },
		isAdmin: user.role === 'admin',
		schedulerPaused: settings['scheduler.paused'],
		/** Emails that failed for good in the last 24 h (SPEC §4.6: admins are alerted in the UI). */
		failedEmails
	};
}
