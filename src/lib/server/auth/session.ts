/**
 * Login sessions (README, "Security"; the Lucia guide's design on our own tables):
 * - sliding expiry: each use at least `refreshAfterMs` after the last verification moves
 *   `last_verified_at` (and the cookie's expiry) forward; at most one write per hour per session;
 * - inactivity timeout: unused for `inactivityMs` → invalid (and deleted);
 * - absolute lifetime: `maxAgeMs` after sign-in → invalid however active (re-authenticate).
 */
import type { Queryable } from '../db';
import type { UserRole } from '../db/schema';
import { generateSessionToken, hashSecret, parseSessionToken, secretMatches } from './token';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const SESSION_POLICY = {
	inactivityMs: 7 * DAY,
	maxAgeMs: 30 * DAY,
	refreshAfterMs: HOUR
} as const;

export type SessionPolicy = { inactivityMs: number; maxAgeMs: number; refreshAfterMs: number };

export type Session = { id: string; userId: string; createdAt: Date; lastVerifiedAt: Date };
export type SessionUser = { id: string; email: string; role: UserRole };

export type ValidatedSession = {
	session: Session;
	user: SessionUser;
	/** When the session ends if unused: the cookie's expiry. */
	expiresAt: Date;
	/** `last_verified_at` moved forward now: the cookie should be re-sent with the new expiry. */
	refreshed: boolean;
};


export function sessionExpiresAt(s: Pick<Session, 'createdAt' | 'lastVerifiedAt'>, policy: SessionPolicy = SESSION_POLICY): Date {
	return new Date(Math.min(s.lastVerifiedAt.getTime() + policy.inactivityMs, s.createdAt.getTime() + policy.maxAgeMs));
}

export async function createSession(
	sql: Queryable,
	userId: string,
	now = new Date(),
	policy: SessionPolicy = SESSION_POLICY
): Promise<{ token: string; session: Session; expiresAt: Date }> {
	const { id, secret, token } = generateSessionToken();
	await sql`
		insert into auth_session (id, user_id, secret_hash, created_at, last_verified_at)
		values (${id}, ${userId}, ${Buffer.from(hashSecret(secret))}, ${now}, ${now})`;
	const session = { id, userId, createdAt: now, lastVerifiedAt: now };
	return { token, session, expiresAt: sessionExpiresAt(session, policy) };
}

type Row = {
	id: string;
	user_id: string;
	secret_hash: Buffer;
	created_at: Date;
	last_verified_at: Date;
	email: string;
	role: UserRole;
};

/** The session and its user for a cookie's token, or null (malformed, unknown, wrong secret, expired). */
export async function validateSessionToken(
	sql: Queryable,
	token: string | undefined | null,
	now = new Date(),
	policy: SessionPolicy = SESSION_POLICY
): Promise<ValidatedSession | null> {
	const parts = parseSessionToken(token);
	if (!parts) return null;
	const [row] = await sql<Row[]>`
		select s.id, s.user_id, s.secret_hash, s.created_at, s.last_verified_at, u.email, u.role
		from auth_session s join "user" u on u.id = s.user_id
		where s.id = ${parts.id}`;
	// A wrong secret leaves the row alone: knowing an id must not let anyone end a session.
	if (!row || !secretMatches(parts.secret, row.secret_hash)) return null;
	const session: Session = { id: row.id, userId: row.user_id, createdAt: row.created_at, lastVerifiedAt: row.last_verified_at };
	if (sessionExpiresAt(session, policy) <= now) {
		await invalidateSession(sql, session.id);
		return null;
	}
	let refreshed = false;
	if (now.getTime() - session.lastVerifiedAt.getTime() >= policy.refreshAfterMs) {
		await sql`update auth_session set last_verified_at = ${now} where id = ${session.id}`;
		session.lastVerifiedAt = now;
		refreshed = true;
	}
	return { session, user: { id: row.user_id, email: row.email, role: row.role }, expiresAt: sessionExpiresAt(session, policy), refreshed };
}

export async function invalidateSession(sql: Queryable, sessionId: string): Promise<void> {
	await sql`delete from auth_session where id = ${sessionId}`;
}

/** Signs a user out everywhere (password reset), optionally keeping one session. */
export async function invalidateUserSessions(sql: Queryable, userId: string, keepSessionId: string | null = null): Promise<number> {
	const res = await sql`delete from auth_session where user_id = ${userId} and id is distinct from ${keepSessionId}`;
	return res.count;
}

/** Deletes sessions past their inactivity timeout or lifetime (the prune-auth-sessions job). */
export async function deleteExpiredSessions(sql: Queryable, now = new Date(), policy: SessionPolicy = SESSION_POLICY): Promise<number> {
	const res = await sql`
		delete from auth_session
		where last_verified_at <= ${new Date(now.getTime() - policy.inactivityMs)}
			or created_at <= ${new Date(now.getTime() - policy.maxAgeMs)}`;
	return res.count;
}
