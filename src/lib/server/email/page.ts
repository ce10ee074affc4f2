/**
 * /admin/email: the outbox by status with its errors and attempts, for everyone signed in;
 * **Retry now** for admins (the route calls `requireAdmin` first).
 */
import { fail, type RequestEvent } from '@sveltejs/kit';
import { outboxFilterSchema } from '../../schemas/devices';
import { ServiceError } from '../errors';
import { runtime } from '../runtime';
import { failedEmailCount, listOutbox, MAX_ATTEMPTS, outboxCounts, retryNow } from './outbox';

type User = { id: string; email: string; role: string };

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

export async function emailLoad(user: User, url: URL) {
	const sql = runtime().database.sql;
	const filter = outboxFilterSchema.parse(Object.fromEntries(url.searchParams));
	const [page, counts, failedRecently] = await Promise.all([listOutbox(sql, filter), outboxCounts(sql), failedEmailCount(sql)]);
	return {
		canEdit: user.role === 'admin',
		status: filter.status ?? null,
		before: filter.before ?? null,
		counts,
		failedRecently,
		maxAttempts: MAX_ATTEMPTS,
		transport: runtime().config.smtpUrl ? ('smtp' as const) : ('file' as const),
		mailDir: runtime().config.smtpUrl ? null : `${runtime().config.dataDir}/mail`,
		nextBefore: page.nextBefore,
		emails: page.rows.map((r) => ({ ...r, lastAttemptAt: iso(r.lastAttemptAt), createdAt: iso(r.createdAt)!, sentAt: iso(r.sentAt) }))
	};
}

export const emailActions = {
	async retry(event: RequestEvent, user: User) {
		const form = await event.request.formData();
		const id = Number(form.get('id'));
		if (!Number.isSafeInteger(id) || id <= 0) return fail(400, { action: 'retry' as const, id: null, message: 'id: must be an email id' });
		try {
			const out = await retryNow(runtime().database.sql, id, { name: user.email });
			const message = out.status === 'sent' ? `Email #${id} sent.` : `Email #${id} could not be sent: ${out.error ?? 'unknown error'}`;
			return { action: 'retry' as const, id, ok: out.status === 'sent', message };
		} catch (err) {
			if (!(err instanceof ServiceError)) throw err;
			return fail(err.status, { action: 'retry' as const, id, message: err.message });
		}
	}
};
