/** The /admin shell's load: who is signed in, global banners, and the last action's message. */
import type { RequestEvent } from '@sveltejs/kit';
import { alertBanners } from '../../alerts/banner';
import { failedEmailAlert } from '../../email/alert';
import { takeFlash } from '../../flash';
import { liveSummary } from '../../instances/registry';
import { requireUser } from '../guard';

export async function adminLayoutLoad(event: Pick<RequestEvent, 'locals' | 'url' | 'cookies'>) {
	const user = requireUser(event);
	// Before anything is read: the page's live stream catches up on what changed from here on.
	const liveSince = Date.now();
	const { cron, sql, secrets } = event.locals.services;
	// Reading the whole URL makes this load run again on every navigation, so a message shows
	// on the page its action redirected to and is gone on the next one (live refreshes, which
	// re-run only the pages' loads, keep it).
	void event.url.href;
	const flash = takeFlash(event.cookies, event.url, secrets);
	const [settings, failedEmails, live, alerts, runStatus] = await Promise.all([
		cron.settings(),
		failedEmailAlert(sql),
		liveSummary(sql),
		alertBanners(sql),
		flash?.run ? cron.getExecution(flash.run.id).then((r) => r.status, () => undefined) : undefined
	]);
	if (flash?.run && runStatus) flash.run.status = runStatus;
	return {
		user: { id: user.id, email: user.email, role: user.role },
		/** The one permission flag of every admin page: may this user change things? */
		isAdmin: user.role === 'admin',
		schedulerPaused: settings['scheduler.paused'],
		/** Emails that failed for good in the last 24 h: admins are alerted in the UI. */
		failedEmails,
		/** Due queued runs that no live worker will take (a web-only deployment without a run-due caller). */
		queueUnserved: live.workers === 0 ? live.due : 0,
		/** Monitors down and notifications not delivered: shown on every page until dealt with. */
		alerts,
		/** What the last form action did (lib/server/flash.ts), shown once. */
		flash,
		/** When this page's data was read (ms, server time): its live stream catches up from here. */
		liveSince,
		/** The browser's colour theme (lib/server/theme.ts), for the header's toggle. */
		theme: event.locals.theme
	};
}
