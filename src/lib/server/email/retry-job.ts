import { defineJob } from '../cron/types';
import { MAX_ATTEMPTS, retryDue } from './outbox';

/**
 * Built-in `email-retry` (README, "Built-in jobs"): resends pending outbox emails (attempts < 5, created in
 * the last 24 h, last attempt over 1 h ago); after the 5th failure an email is `failed` and
 * every admin gets one alert listing the failures. Safe to run on several instances at once.
 */
export const emailRetry = defineJob({
	key: 'email-retry',
	name: 'Retry outbox emails',
	description: `Resends pending emails (attempts < ${MAX_ATTEMPTS}, created in the last 24 h, last attempt over 1 h ago); alerts admins about emails that failed for good.`,
	schedule: 'hourly',
	timeoutMs: 30 * 60_000,
	catchUp: 'once',
	async handler({ db, signal, log }) {
		const s = await retryDue(db.$client, { signal });
		log(`attempted ${s.attempted}: ${s.sent} sent, ${s.stillPending} still pending, ${s.failed} failed after ${MAX_ATTEMPTS} attempts`);
		if (s.gaveUp) log(`gave up on ${s.gaveUp} (older than 24 h, or an earlier attempt never reported back)`);
		if (s.alerted) log(`alerted ${s.alerted} admin${s.alerted === 1 ? '' : 's'}`);
		return { message: `${s.sent} sent, ${s.failed + s.gaveUp} failed`, metrics: { ...s } };
	}
});
