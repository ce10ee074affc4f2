/**
 * Access keys (README, "Access keys"): a random key shown once, only its SHA-256 stored, a short
 * prefix kept for recognising it in lists. Revoking a key ends its open device session.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Sql } from 'postgres';
import type { Queryable } from '../db';
import { createAccessKeySchema } from '../../schemas/devices';
import { audit } from '../audit';
import type { Actor } from '../audit/actor';
import type { EndReason } from '../db/schema';
import { deliver, queueEmail, secretPart } from '../email/outbox';
import type { Mailer } from '../email/transport';
import { invalid, notFound } from '../errors';
import { log } from '../log';
import { countEnded } from './metrics';

/** Recognisable in logs, configs and secret scanners; 32 random bytes follow (256 bits). */
export const KEY_PREFIX = 'ck_';
/** Shown in lists: the fixed prefix and the first 8 random characters. */
const SHOWN_CHARS = KEY_PREFIX.length + 8;

export function generateAccessKey(): string {
	return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashAccessKey(key: string): Buffer {
	return createHash('sha256').update(key, 'utf8').digest();
}

export const displayPrefix = (key: string) => key.slice(0, SHOWN_CHARS);

export type ActiveSession = { deviceId: string | null; startedAt: Date; lastHeartbeatAt: Date };
export type LastSession = { deviceId: string | null; startedAt: Date; endedAt: Date; endReason: EndReason };

export type AccessKeyView = {
	id: string;
	prefix: string;
	label: string | null;
	email: string | null;
	createdAt: Date;
	createdBy: string | null;
	revokedAt: Date | null;
	/** The key's open device session, if any. */
	activeSession: ActiveSession | null;
	/** The most recent ended session, when none is open (how the last one ended). */
	lastSession: LastSession | null;
};

export type CreatedAccessKey = { id: string; key: string; prefix: string; emailId: number | null };

/** A row of `listAccessKeys`: the view's own fields, the two sessions' flattened. */
type KeyRow = Omit<AccessKeyView, 'activeSession' | 'lastSession'> & {
	activeDeviceId: string | null;
	activeStartedAt: Date | null;
	activeHeartbeatAt: Date | null;
	lastDeviceId: string | null;
	lastStartedAt: Date | null;
	lastEndedAt: Date | null;
	lastEndReason: EndReason | null;
};

function accessKeyEmail(key: string, label: string | undefined): string {
	return [
		'Hello,',
		'',
		`Here is your Cronkit access key${label ? ` for "${label}"` : ''}:`,
		'',
		`    ${secretPart(key)}`,
		'',
		'Enter it in the app to start a session. Keep it secret: anyone with this key can use it,',
		'and only one device can use it at a time. This is the only time it is sent; if you lose',
		'it, ask your administrator for a new one.'
	].join('\n');
}

/**
 * Creates a key and, with an email address, queues its delivery in the same transaction, then
 * tries that delivery at once (through the outbox: a failure is retried by `email-retry`).
 */
export async function createAccessKey(sql: Sql, input: unknown, actor: Actor, mailer?: Mailer): Promise<CreatedAccessKey> {
	const parsed = createAccessKeySchema.safeParse(input ?? {});
	if (!parsed.success) throw invalid(parsed.error);
	const { label, email } = parsed.data;
	const key = generateAccessKey();
	const id = randomUUID();
	const prefix = displayPrefix(key);
	const emailId = await sql.begin(async (tx) => {
		await tx`
			insert into access_key (id, key_hash, prefix, label, email, created_by)
			values (${id}, ${hashAccessKey(key)}, ${prefix}, ${label ?? null}, ${email ?? null}, ${actor.name})`;
		await audit(tx, { actor: actor.name, action: 'access_key.create', entity: 'access_key', entityId: id, after: { prefix, label: label ?? null, email: email ?? null } });
		if (!email) return null;
		return queueEmail(tx, { to: email, subject: 'Your Cronkit access key', text: accessKeyEmail(key, label), kind: 'access_key' });
	});
	if (emailId !== null) {
		// The key exists now and this response is the only place it is shown: a failure here
		// must not turn into an error (the row stays pending and email-retry sends it).
		await deliver(sql, emailId, { mailer }).catch((err: unknown) => log.warn({ err, emailId }, 'sending the access key email failed; left to email-retry'));
	}
	return { id, key, prefix, emailId };
}

export type KeyFilter = { q?: string; limit?: number };

/**
 * Keys, unrevoked first then newest first, with the open session (or how the last one ended).
 * `q` matches label, email, prefix or the active device id (case-insensitive substring).
 */
export async function listAccessKeys(sql: Sql, filter: KeyFilter = {}): Promise<AccessKeyView[]> {
	const like = filter.q ? `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
	const rows = await sql<KeyRow[]>`
		select k.id, k.prefix, k.label, k.email, k.created_at as "createdAt", k.created_by as "createdBy", k.revoked_at as "revokedAt",
			a.device_id as "activeDeviceId", a.started_at as "activeStartedAt", a.last_heartbeat_at as "activeHeartbeatAt",
			l.device_id as "lastDeviceId", l.started_at as "lastStartedAt", l.ended_at as "lastEndedAt", l.end_reason as "lastEndReason"
		from access_key k
		left join device_session a on a.access_key_id = k.id and a.ended_at is null
		left join lateral (
			select device_id, started_at, ended_at, end_reason from device_session s
			where s.access_key_id = k.id and s.ended_at is not null
			order by s.started_at desc limit 1
		) l on a.id is null
		${like ? sql`where k.label ilike ${like} or k.email ilike ${like} or k.prefix ilike ${like} or a.device_id ilike ${like}` : sql``}
		order by k.revoked_at is not null, k.created_at desc, k.id
		${filter.limit ? sql`limit ${filter.limit}` : sql``}`;
	return rows.map(toView);
}

export async function countAccessKeys(sql: Sql): Promise<{ keys: number; active: number; open: number }> {
	const [row] = await sql<{ keys: number; active: number; open: number }[]>`
		select count(*)::int as keys, count(*) filter (where revoked_at is null)::int as active,
			(select count(*)::int from device_session where ended_at is null) as open
		from access_key`;
	return row!;
}

function toView(r: KeyRow): AccessKeyView {
	return {
		id: r.id,
		prefix: r.prefix,
		label: r.label,
		email: r.email,
		createdAt: r.createdAt,
		createdBy: r.createdBy,
		revokedAt: r.revokedAt,
		activeSession: r.activeStartedAt ? { deviceId: r.activeDeviceId, startedAt: r.activeStartedAt, lastHeartbeatAt: r.activeHeartbeatAt! } : null,
		lastSession:
			r.lastEndedAt && r.lastStartedAt && r.lastEndReason
				? { deviceId: r.lastDeviceId, startedAt: r.lastStartedAt, endedAt: r.lastEndedAt, endReason: r.lastEndReason }
				: null
	};
}

/** Ends the key's open session, if any, with `reason`; returns how many it ended (0 or 1). */
export async function endOpenSession(tx: Queryable, keyId: string, reason: EndReason): Promise<number> {
	const res = await tx`
		update device_session set ended_at = now(), end_reason = ${reason}
		where access_key_id = ${keyId} and ended_at is null`;
	return res.count;
}

/**
 * Revokes a key and ends its open session (`end_reason = revoked`) in one transaction.
 * Revoking a revoked key changes nothing (204 again); an unknown id is a 404.
 */
export async function revokeAccessKey(sql: Sql, id: string, actor: Actor): Promise<{ revoked: boolean; endedSession: boolean }> {
	const out = await sql.begin(async (tx) => {
		const [row] = await tx<{ prefix: string; label: string | null; revokedAt: Date | null }[]>`
			select prefix, label, revoked_at as "revokedAt" from access_key where id = ${id} for no key update`;
		if (!row) throw notFound(`access key "${id}"`);
		if (row.revokedAt) return { revoked: false, endedSession: false };
		await tx`update access_key set revoked_at = now() where id = ${id}`;
		const ended = await endOpenSession(tx, id, 'revoked');
		await audit(tx, {
			actor: actor.name,
			action: 'access_key.revoke',
			entity: 'access_key',
			entityId: id,
			before: { prefix: row.prefix, label: row.label, revokedAt: null },
			after: { revokedAt: new Date().toISOString(), endedSession: ended > 0 }
		});
		return { revoked: true, endedSession: ended > 0 };
	});
	if (out.endedSession) countEnded('revoked');
	return out;
}

/** An admin ends the key's open session from /admin/sessions (`end_reason = ended`). */
export async function endSessionOfKey(sql: Sql, id: string, actor: Actor): Promise<boolean> {
	const ended = await sql.begin(async (tx) => {
		const [key] = await tx<{ prefix: string }[]>`select prefix from access_key where id = ${id}`;
		if (!key) throw notFound(`access key "${id}"`);
		const [session] = await tx<{ id: string; deviceId: string | null }[]>`
			update device_session set ended_at = now(), end_reason = 'ended'
			where access_key_id = ${id} and ended_at is null
			returning id, device_id as "deviceId"`;
		if (!session) return false;
		await audit(tx, {
			actor: actor.name,
			action: 'device_session.end',
			entity: 'access_key',
			entityId: id,
			after: { prefix: key.prefix, deviceId: session.deviceId, endReason: 'ended' }
		});
		return true;
	});
	if (ended) countEnded('ended');
	return ended;
}

export type KeyMatch = { id: string; revoked: boolean };

/**
 * The key a client presents, found by its hash (a unique index lookup, no scan over keys),
 * then compared in constant time. `lock` takes the row lock that serialises starts.
 */
export async function findKey(tx: Queryable, presented: string, lock = false): Promise<KeyMatch | null> {
	const hash = hashAccessKey(presented);
	const rows = lock
		? await tx<{ id: string; keyHash: Buffer; revokedAt: Date | null }[]>`
			select id, key_hash as "keyHash", revoked_at as "revokedAt" from access_key where key_hash = ${hash} for no key update`
		: await tx<{ id: string; keyHash: Buffer; revokedAt: Date | null }[]>`
			select id, key_hash as "keyHash", revoked_at as "revokedAt" from access_key where key_hash = ${hash}`;
	const row = rows[0];
	if (!row || row.keyHash.length !== hash.length || !timingSafeEqual(row.keyHash, hash)) return null;
	return { id: row.id, revoked: row.revokedAt !== null };
}
