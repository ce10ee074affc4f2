import { z } from 'zod';
import { markUsersOffline as markOffline } from '../auth/presence';
import { defineJob } from '../cron/types';

/**
 * Built-in `mark-users-offline` (README, "Built-in jobs"): admin-app users without activity for
 * `timeoutMinutes` (5) become offline; presence shows on /admin/users.
 */
export const markUsersOffline = defineJob({
	key: 'mark-users-offline',
	name: 'Mark users offline',
	description: 'Marks users offline after timeoutMinutes (5) without activity.',
	schedule: 'every_5_minutes',
	timeoutMs: 60_000,
	catchUp: 'once',
	params: z.object({
		timeoutMinutes: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(24 * 60, 'must be at most a day').default(5)
	}),
	async handler({ db, log, params }) {
		const n = await markOffline(db.$client, params.timeoutMinutes);
		log(`marked ${n} user${n === 1 ? '' : 's'} offline (no activity for ${params.timeoutMinutes} min)`);
		return { message: `${n} marked offline`, metrics: { markedOffline: n } };
	}
});
