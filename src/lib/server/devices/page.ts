/**
 * /admin/sessions: access keys with the device using each, for everyone signed in; create a
 * key (shown once), end a session, revoke a key for admins. The route calls `requireAdmin`
 * before each action; these only do the work.
 */
import { fail, type RequestEvent } from '@sveltejs/kit';
import type { Actor } from '../cron/service';
import { ServiceError } from '../errors';
import { runtime } from '../runtime';
import { countAccessKeys, createAccessKey, endSessionOfKey, listAccessKeys, revokeAccessKey } from './keys';
import { sessionTiming } from './settings';

type User = { id: string; email: string; role: string };

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

/** Rows shown at once; a search narrows larger sets. */
export const PAGE_KEYS = 200;

export async function sessionsLoad(user: User, url: URL) {
	const sql = runtime().database.sql;
	const q = (url.searchParams.get('q') ?? '').trim().slice(0, 200);
	const [keys, counts, timing] = await Promise.all([listAccessKeys(sql, { q: q || undefined, limit: PAGE_KEYS + 1 }), countAccessKeys(sql), sessionTiming(sql)]);
	return {
		canEdit: user.role === 'admin',
		timeoutSeconds: timing.timeoutSeconds,
		q,
		counts,
		truncated: keys.length > PAGE_KEYS,
		shown: Math.min(keys.length, PAGE_KEYS),
		keys: keys.slice(0, PAGE_KEYS).map((k) => ({
			id: k.id,
			prefix: k.prefix,
			label: k.label,
			email: k.email,
			createdAt: iso(k.createdAt)!,
			createdBy: k.createdBy,
			revokedAt: iso(k.revokedAt),
			activeSession: k.activeSession
				? { deviceId: k.activeSession.deviceId, startedAt: iso(k.activeSession.startedAt)!, lastHeartbeatAt: iso(k.activeSession.lastHeartbeatAt)! }
				: null,
			lastSession: k.lastSession ? { deviceId: k.lastSession.deviceId, endedAt: iso(k.lastSession.endedAt)!, endReason: k.lastSession.endReason } : null
		}))
	};
}

async function formObject(request: Request): Promise<Record<string, string>> {
	const out: Record<string, string> = {};
	for (const [k, v] of await request.formData()) if (typeof v === 'string') out[k] = v;
	return out;
}

type ActionName = 'create' | 'end' | 'revoke';

function failure(action: ActionName, err: unknown, values: Record<string, string> = {}) {
	if (!(err instanceof ServiceError)) throw err;
	const errors: Record<string, string> = {};
	for (const issue of err.issues) errors[issue.path] ??= issue.message;
	const message = err.issues.length ? `${Object.keys(errors)[0]}: ${Object.values(errors)[0]}` : err.message;
	return fail(err.status, { action, message, errors, values: { label: values.label ?? '', email: values.email ?? '' } });
}

const actorOf = (user: User): Actor => ({ name: user.email, userId: user.id });

export const sessionsActions = {
	async create(event: RequestEvent, user: User) {
		const values = await formObject(event.request);
		try {
			const sql = runtime().database.sql;
			const created = await createAccessKey(sql, { label: values.label, email: values.email }, actorOf(user));
			let emailStatus: string | null = null;
			if (created.emailId !== null) {
				const [row] = await sql<{ status: string }[]>`select status from email_outbox where id = ${created.emailId}`;
				emailStatus = row?.status ?? null;
			}
			return {
				action: 'create' as const,
				message: `Access key ${created.prefix}… created.`,
				created: { id: created.id, key: created.key, prefix: created.prefix, email: values.email?.trim() || null, emailStatus }
			};
		} catch (err) {
			return failure('create', err, values);
		}
	},
	async end(event: RequestEvent, user: User) {
		const values = await formObject(event.request);
		try {
			const ended = await endSessionOfKey(runtime().database.sql, values.id ?? '', actorOf(user));
			return { action: 'end' as const, message: ended ? 'Session ended: the device is told at its next heartbeat.' : 'That key had no active session.' };
		} catch (err) {
			return failure('end', err);
		}
	},
	async revoke(event: RequestEvent, user: User) {
		const values = await formObject(event.request);
		try {
			const out = await revokeAccessKey(runtime().database.sql, values.id ?? '', actorOf(user));
			return {
				action: 'revoke' as const,
				message: out.revoked ? `Key revoked${out.endedSession ? ' and its session ended' : ''}.` : 'That key was already revoked.'
			};
		} catch (err) {
			return failure('revoke', err);
		}
	}
};
