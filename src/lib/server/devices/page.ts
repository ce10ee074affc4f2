/**
 * /admin/sessions: access keys with the device using each, for everyone signed in; create a
 * key (shown once), end a session, revoke a key for admins. The route calls `requireAdmin`
 * before each action; these only do the work.
 */
import type { RequestEvent } from '@sveltejs/kit';
import type { Sql } from 'postgres';
import { iso } from '../../format/time';
import { actorOf } from '../audit/actor';
import type { Flash } from '../../flash';
import { flashRedirect, type FlashEvent } from '../flash';
import { formObject, serviceFailure } from '../forms';
import { countAccessKeys, createAccessKey, endSessionOfKey, listAccessKeys, revokeAccessKey } from './keys';
import { sessionTiming } from './settings';

type Admin = NonNullable<App.Locals['user']>;
type ActionEvent = Pick<RequestEvent, 'request'> & FlashEvent;

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
	async create(event: ActionEvent, admin: Admin) {
		const values = await formObject(event.request);
		let flash: Flash;
		try {
			const { sql, config } = event.locals.services;
			const created = await createAccessKey(sql, { label: values.label, email: values.email }, actorOf(admin));
			const email = values.email?.trim() || null;
			let emailStatus: string | null = null;
			if (created.emailId !== null) {
				const [row] = await sql<{ status: string }[]>`select status from email_outbox where id = ${created.emailId}`;
				emailStatus = row?.status ?? null;
			}
			const pending = email !== null && emailStatus !== 'sent';
			flash = {
				tone: 'success',
				message: `Access key ${created.prefix}… created.`,
				secret: { label: 'The key is', value: created.key, testId: 'created-key', copy: 'Copy key' },
				details: [
					'Only its hash is stored.',
					...(email === null
						? []
						: [
								pending
									? `The email to ${email} could not be sent yet; it stays in the outbox and is retried.`
									: config.smtpUrl
										? `Emailed to ${email}.`
										: `Not emailed: no SMTP_URL is set, so the email to ${email} was written as an .eml file to ${config.dataDir}/mail.`
							])
				],
				...(pending ? { link: { href: '/admin/email', label: 'See the outbox' } } : {})
			};
		} catch (err) {
			return failure('create', err, values);
		}
		flashRedirect(event, flash);
	},
	async end(event: ActionEvent, admin: Admin) {
		const values = await formObject(event.request);
		let ended: boolean;
		try {
			ended = await endSessionOfKey(event.locals.services.sql, values.id ?? '', actorOf(admin));
		} catch (err) {
			return failure('end', err);
		}
		flashRedirect(event, { tone: ended ? 'success' : 'info', message: ended ? 'Session ended: the device is told at its next heartbeat.' : 'That key had no active session.' });
	},
	async revoke(event: ActionEvent, admin: Admin) {
		const values = await formObject(event.request);
		let out: Awaited<ReturnType<typeof revokeAccessKey>>;
		try {
			out = await revokeAccessKey(event.locals.services.sql, values.id ?? '', actorOf(admin));
		} catch (err) {
			return failure('revoke', err);
		}
		flashRedirect(event, {
			tone: out.revoked ? 'success' : 'info',
			message: out.revoked ? `Key revoked${out.endedSession ? ' and its session ended' : ''}.` : 'That key was already revoked.'
		});
	}
};
