/**
 * The device-session API (README, "Session API"): one open session per access key. Starting ends the
 * other open session of the key (`replaced`); the partial unique index
 * `device_session_open_uq` guarantees at most one open session whatever the code does.
 *
 * Heartbeat answers:
 * - 200 `{ok: true}` while the session is open and within its timeout;
 * - 409 `session_terminated` when another device's start replaced it;
 * - 410 `session_expired` when it timed out (ended by `session-cleanup`, or found stale here and
 *   ended on the spot), or was ended (by the client, or an admin on /admin/sessions);
 * - 410 `session_revoked` when its access key was revoked: gone for good like an expiry, with
 *   its own code so the app can say "ask for a new key" instead of restarting into a 401;
 * - 404 for an id that never existed.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import { sessionRefSchema, startSessionSchema } from '../../schemas/devices';
import type { EndReason } from '../db/schema';
import { invalid, ServiceError } from '../errors';
import { findKey } from './keys';
import { countEnded, heartbeatOk, heartbeats, sessionsStarted } from './metrics';
import { sessionTiming, type SessionTiming } from './settings';
import { hit } from '../auth/throttle';

export const TERMINATED_MESSAGE = 'Session terminated. Another device is using this key.';
export const EXPIRED_MESSAGE = 'Session expired, please restart the app.';
export const REVOKED_MESSAGE = 'Session ended: this access key was revoked. Ask your administrator for a new key.';

/** Start attempts per client IP per minute (each instance counts into the same table row). */
export const START_LIMIT = 30;
export const START_WINDOW_SECONDS = 60;
export const START_THROTTLE_PREFIX = 'session-start:';

/** A 429 with the seconds after which the client may try again. */
export class RateLimited extends ServiceError {
	constructor(readonly retryAfterSeconds: number) {
		super(429, 'rate_limited', `too many session starts from this address; retry in ${retryAfterSeconds} s`);
	}
}

const invalidKey = () => new ServiceError(401, 'invalid_access_key', 'unknown or revoked access key');
const terminated = () => new ServiceError(409, 'session_terminated', TERMINATED_MESSAGE);
const expired = () => new ServiceError(410, 'session_expired', EXPIRED_MESSAGE);
const revoked = () => new ServiceError(410, 'session_revoked', REVOKED_MESSAGE);
const unknownSession = () => new ServiceError(404, 'not_found', 'session not found');

/** Opaque and unguessable: the id is all a client shows to heartbeat or end its session. */
const newSessionId = () => `ds_${randomBytes(18).toString('base64url')}`;

/**
 * What `device_session.id` holds: the hex SHA-256 of the id the client has, so the table never
 * holds a usable credential (the id has 144 random bits: a plain hash suffices, no salt or slow
 * hash). Lookups hash the presented id and compare in the database.
 */
export const sessionIdHash = (sessionId: string) => createHash('sha256').update(sessionId, 'utf8').digest('hex');

export type Started = SessionTiming & { sessionId: string };

type PgError = { code?: string; constraint_name?: string };
const isOpenSessionClash = (err: unknown) => {
	const e = err as PgError;
	return e?.code === '23505' && e.constraint_name === 'device_session_open_uq';
};

/** Throttles by client IP first, so guessing keys costs as much as using one. */
export async function startSession(sql: Sql, body: unknown, clientIp: string): Promise<Started> {
	const parsed = startSessionSchema.safeParse(body);
	if (!parsed.success) throw invalid(parsed.error);
	const limit = await hit(sql, `${START_THROTTLE_PREFIX}${clientIp}`, { max: START_LIMIT, windowMs: START_WINDOW_SECONDS * 1000 });
	if (limit.hits > START_LIMIT) throw new RateLimited(limit.retryAfterSeconds);
	const { accessKey, deviceId } = parsed.data;
	const timing = sessionTiming(sql);
	// Starts of one key take the key's row lock, so they queue rather than collide; the
	// unique index stays the guarantee. Should a start still lose the race (a writer that
	// skipped the lock), it runs again: the later start then replaces the earlier one.
	for (let attempt = 1; ; attempt++) {
		try {
			const replaced = await sql.begin(async (tx) => {
				const key = await findKey(tx, accessKey, true);
				if (!key || key.revoked) throw invalidKey();
				const ended = await tx`
					update device_session set ended_at = now(), end_reason = 'replaced'
					where access_key_id = ${key.id} and ended_at is null`;
				const id = newSessionId();
				await tx`insert into device_session (id, access_key_id, device_id) values (${sessionIdHash(id)}, ${key.id}, ${deviceId ?? null})`;
				return { id, replaced: ended.count };
			});
			sessionsStarted.inc();
			countEnded('replaced', replaced.replaced);
			return { sessionId: replaced.id, ...(await timing) };
		} catch (err) {
			if (isOpenSessionClash(err) && attempt < 3) continue;
			if (isOpenSessionClash(err)) throw new ServiceError(409, 'conflict', 'another device is starting a session with this key at this moment; try again');
			throw err;
		}
	}
}

type SessionState = { endReason: EndReason | null; stale: boolean };

/**
 * One UPDATE on the hot path (an open, fresh session); only a refused heartbeat reads the row
 * again to say why.
 */
export async function heartbeatSession(sql: Sql, body: unknown): Promise<void> {
	const parsed = sessionRefSchema.safeParse(body);
	if (!parsed.success) throw invalid(parsed.error);
	const idHash = sessionIdHash(parsed.data.sessionId);
	const { timeoutSeconds } = await sessionTiming(sql);
	// A second pass only when the row changed between the two statements (a start, an end).
	for (let pass = 0; pass < 3; pass++) {
		const ok = await sql`
			update device_session set last_heartbeat_at = now()
			where id = ${idHash} and ended_at is null and last_heartbeat_at > now() - make_interval(secs => ${timeoutSeconds})`;
		if (ok.count === 1) {
			heartbeatOk.inc();
			return;
		}
		const [state] = await sql<SessionState[]>`
			select end_reason as "endReason", ended_at is null and last_heartbeat_at <= now() - make_interval(secs => ${timeoutSeconds}) as stale
			from device_session where id = ${idHash}`;
		if (!state) {
			heartbeats.inc({ result: 'not_found' });
			throw unknownSession();
		}
		if (state.stale) {
			// Past its timeout but not yet cleaned up: end it now, as session-cleanup would.
			const res = await sql`
				update device_session set ended_at = now(), end_reason = 'expired'
				where id = ${idHash} and ended_at is null and last_heartbeat_at <= now() - make_interval(secs => ${timeoutSeconds})`;
			countEnded('expired', res.count);
			if (res.count === 0) continue;
			break;
		}
		if (state.endReason === null) continue;
		if (state.endReason === 'replaced') {
			heartbeats.inc({ result: 'terminated' });
			throw terminated();
		}
		if (state.endReason === 'revoked') {
			heartbeats.inc({ result: 'revoked' });
			throw revoked();
		}
		break;
	}
	heartbeats.inc({ result: 'expired' });
	throw expired();
}

/** Ends the session (`end_reason = ended`); ending an ended session is fine. 404 for an unknown id. */
export async function endSession(sql: Sql, body: unknown): Promise<void> {
	const parsed = sessionRefSchema.safeParse(body);
	if (!parsed.success) throw invalid(parsed.error);
	const idHash = sessionIdHash(parsed.data.sessionId);
	const [row] = await sql<{ ended: boolean }[]>`
		with ended as (
			update device_session set ended_at = now(), end_reason = 'ended'
			where id = ${idHash} and ended_at is null returning id
		)
		select exists (select 1 from ended) as ended
		where exists (select 1 from ended) or exists (select 1 from device_session where id = ${idHash})`;
	if (!row) throw unknownSession();
	if (row.ended) countEnded('ended');
}

/** When the latest heartbeat of an open session arrived (one probe of the open sessions' heartbeat index). */
export async function latestHeartbeat(sql: Sql): Promise<Date | null> {
	const [row] = await sql<{ at: Date | null }[]>`select max(last_heartbeat_at) as at from device_session where ended_at is null`;
	return row?.at ?? null;
}
