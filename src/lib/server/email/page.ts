/**
 * /admin/email: the outbox by status with its errors and attempts, for everyone signed in;
 * **Retry now** for admins (the route calls `requireAdmin` first).
 */
import { fail, type RequestEvent } from '@sveltejs/kit';
import { iso } from '../../format/time';
import { outboxFilterSchema } from '../../schemas/devices';
import { actorOf } from '../audit/actor';
import { flashRedirect, type FlashEvent } from '../flash';
import { serviceFailure } from '../forms';
import type { Services } from '../runtime';
import { failedEmailCount, listOutbox, MAX_ATTEMPTS, outboxCounts, retryNow } from './outbox';

type Admin = NonNullable<App.Locals['user']>;
type ActionEvent = Pick<RequestEvent, 'request'> & FlashEvent;

export async function emailLoad({ sql, config }: Pick<Services, 'sql' | 'config'>, url: URL) {
	const filter = outboxFilterSchema.parse(Object.fromEntries(url.searchParams));
	const [page, counts, failedRecently] = await Promise.all([listOutbox(sql, filter), outboxCounts(sql), failedEmailCount(sql)]);
	return {
		status: filter.status ?? null,
		before: filter.before ?? null,
		counts,
		failedRecently,
		maxAttempts: MAX_ATTEMPTS,
		transport: config.smtpUrl ? ('smtp' as const) : ('file' as const),
		mailDir: config.smtpUrl ? null : `${config.dataDir}/mail`,
		nextBefore: page.nextBefore,
		emails: page.rows.map((r) => ({ ...r, lastAttemptAt: iso(r.lastAttemptAt), createdAt: iso(r.createdAt)!, sentAt: iso(r.sentAt) }))
	};
}

export const emailActions = {
	/** The route calls `requireAdmin` and passes the admin in. */
	async retry(event: ActionEvent, admin: Admin) {
		const form = await event.request.formData();
		const id = Number(form.get('id'));
		if (!Number.isSafeInteger(id) || id <= 0) return fail(400, { action: 'retry' as const, id: null, message: 'id: must be an email id' });
		let out: Awaited<ReturnType<typeof retryNow>>;
		try {
			out = await retryNow(event.locals.services.sql, id, actorOf(admin));
		} catch (err) {
			return serviceFailure(err, { action: 'retry', data: { id } });
		}
		// Tried either way (the attempt is recorded): a reload must not try again.
		flashRedirect(
			event,
			out.status === 'sent' ? { tone: 'success', message: `Email #${id} sent.` } : { tone: 'warning', message: `Email #${id} could not be sent: ${out.error ?? 'unknown error'}` }
		);
	}
};
