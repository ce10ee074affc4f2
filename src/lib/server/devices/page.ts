/**
 * /admin/sessions: access keys with the device using each, for everyone signed in; create a
 * key (shown once), end a session, revoke a key for admins. The route calls `requireAdmin`
 * before each action; these only do the work.
 */
import type { RequestEvent } from '@sveltejs/kit';
import type { Sql } from 'postgres';
import { iso } from '../../format/time';
import { actorOf } from '../audit/actor';
import { formObject, serviceFailure } from '../forms';
import { countAccessKeys, createAccessKey, endSessionOfKey, listAccessKeys, revokeAccessKey } from './keys';
import { sessionTiming } from './settings';

type Admin = NonNullable<App.Locals['user']>;

/** Rows shown at once; a search narrows larger sets. */
export const PAGE_KEYS = 200;

export async function sessionsLoad(sql: Sql, url: URL) {
	const q = (url.searchParams.get('q') ?? '').trim().slice(0, 200);
	const [keys, counts, timing] = await Promise.all([listAccessKeys(sql, { q: q || undefined, limit: PAGE_KEYS + 1 }), countAccessKeys(sql), sessionTiming(sql)]);
	return {
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

/** A refusal as a form failure; the values refill the new-key form. */
const failure = (action: 'create' | 'end' | 'revoke', err: unknown, values: Record<string, string> = {}) =>
	serviceFailure(err, { action, data: { values: { label: values.label ?? '', email: values.email ?? '' } } });

/** The route calls `requireAdmin` and passes the admin in. */
export const sessionsActions = {
	async create(event: Pick<RequestEvent, 'request' | 'locals'>, admin: Admin) {
		const values = await formObject(event.request);
		try {
			const { sql } = event.locals.services;
			const created = await createAccessKey(sql, { label: values.label, email: values.email }, actorOf(admin));
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
	async end(event: Pick<RequestEvent, 'request' | 'locals'>, admin: Admin) {
		const values = await formObject(event.request);
		try {
			const ended = await endSessionOfKey(event.locals.services.sql, values.id ?? '', actorOf(admin));
			return { action: 'end' as const, message: ended ? 'Session ended: the device is told at its next heartbeat.' : 'That key had no active session.' };
		} catch (err) {
			return failure('end', err);
		}
	},
	async revoke(event: Pick<RequestEvent, 'request' | 'locals'>, admin: Admin) {
		const values = await formObject(event.request);
		try {
			const out = await revokeAccessKey(event.locals.services.sql, values.id ?? '', actorOf(admin));
			return {
				action: 'revoke' as const,
				message: out.revoked ? `Key revoked${out.endedSession ? ' and its session ended' : ''}.` : 'That key was already revoked.'
			};
		} catch (err) {
			return failure('revoke', err);
		}
	}
};
