import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { createSession, deleteExpiredSessions, invalidateSession, invalidateUserSessions, SESSION_POLICY, validateSessionToken } from './session';
import { parseSessionToken } from './token';
import { insertUser } from './users';

let t: TestDatabase;
let userId: string;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t0 = new Date('2025-06-01T12:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

beforeAll(async () => {
	t = await createTestDatabase();
});
afterAll(async () => {
	await t?.drop();
});
beforeEach(async () => {
	await t.sql`delete from "user"`;
	userId = (await insertUser(t.sql, { email: 'Someone@Example.com', role: 'viewer', passwordHash: 'x' })).id;
});

describe('login sessions', () => {
	it('store only the SHA-256 of the secret and validate to the user', async () => {
		const { token, session, expiresAt } = await createSession(t.sql, userId, t0);
		const { id, secret } = parseSessionToken(token)!;
		expect(session.id).toBe(id);
		expect(expiresAt).toEqual(at(SESSION_POLICY.inactivityMs));
		const [row] = await t.sql<{ secret_hash: Buffer }[]>`select secret_hash from auth_session where id = ${id}`;
		expect(row!.secret_hash).toHaveLength(32);
		expect(row!.secret_hash.toString('utf8')).not.toContain(secret);

		const valid = await validateSessionToken(t.sql, token, at(1000));
		expect(valid?.user).toEqual({ id: userId, email: 'someone@example.com', role: 'viewer' });
		expect(valid?.refreshed).toBe(false);
	});

	it('refuse a wrong secret without ending the session', async () => {
		const { token } = await createSession(t.sql, userId, t0);
		const { id } = parseSessionToken(token)!;
		const forged = `${id}.${'a'.repeat(24)}`;
		expect(await validateSessionToken(t.sql, forged, at(1000))).toBeNull();
		expect(await validateSessionToken(t.sql, token, at(1000))).not.toBeNull();
		expect(await validateSessionToken(t.sql, 'garbage', at(1000))).toBeNull();
		expect(await validateSessionToken(t.sql, `${'b'.repeat(24)}.${'c'.repeat(24)}`, at(1000))).toBeNull();
	});

	it('slide: a use after an hour moves last_verified_at and the expiry forward', async () => {
		const { token } = await createSession(t.sql, userId, t0);
		const early = await validateSessionToken(t.sql, token, at(59 * 60_000));
		expect(early?.refreshed).toBe(false);
		const later = await validateSessionToken(t.sql, token, at(2 * HOUR));
		expect(later?.refreshed).toBe(true);
		expect(later?.expiresAt).toEqual(at(2 * HOUR + SESSION_POLICY.inactivityMs));
		const [row] = await t.sql<{ last_verified_at: Date }[]>`select last_verified_at from auth_session`;
		expect(row!.last_verified_at).toEqual(at(2 * HOUR));
		// Used every few days, the session lives on past the first inactivity deadline…
		for (let d = 5; d <= 25; d += 5) expect(await validateSessionToken(t.sql, token, at(d * DAY))).not.toBeNull();
		// …but not past its absolute lifetime.
		expect(await validateSessionToken(t.sql, token, at(SESSION_POLICY.maxAgeMs))).toBeNull();
		expect(await scalar(t.sql`select count(*)::int from auth_session`)).toBe(0);
	});

	it('end after the inactivity timeout, and are deleted then', async () => {
		const { token } = await createSession(t.sql, userId, t0);
		expect(await validateSessionToken(t.sql, token, at(SESSION_POLICY.inactivityMs - 1000))).not.toBeNull();
		const { token: idle } = await createSession(t.sql, userId, t0);
		expect(await validateSessionToken(t.sql, idle, at(SESSION_POLICY.inactivityMs))).toBeNull();
		expect(await scalar(t.sql`select count(*)::int from auth_session`)).toBe(1);
	});

	it('are invalidated one by one, per user, and with their user', async () => {
		const a = await createSession(t.sql, userId, t0);
		const b = await createSession(t.sql, userId, t0);
		const c = await createSession(t.sql, userId, t0);
		await invalidateSession(t.sql, a.session.id);
		expect(await validateSessionToken(t.sql, a.token, at(1000))).toBeNull();
		expect(await invalidateUserSessions(t.sql, userId, c.session.id)).toBe(1);
		expect(await validateSessionToken(t.sql, b.token, at(1000))).toBeNull();
		expect(await validateSessionToken(t.sql, c.token, at(1000))).not.toBeNull();
		await t.sql`delete from "user" where id = ${userId}`;
		expect(await validateSessionToken(t.sql, c.token, at(1000))).toBeNull();
	});

	it('see role changes at once (the role is read with the session)', async () => {
		const { token } = await createSession(t.sql, userId, t0);
		await t.sql`update "user" set role = 'admin' where id = ${userId}`;
		expect((await validateSessionToken(t.sql, token, at(1000)))?.user.role).toBe('admin');
	});

	it('expired ones are pruned', async () => {
		const now = new Date();
		await createSession(t.sql, userId, new Date(now.getTime() - SESSION_POLICY.inactivityMs - 1000));
		await createSession(t.sql, userId, now);
		expect(await deleteExpiredSessions(t.sql, now)).toBe(1);
		expect(await scalar(t.sql`select count(*)::int from auth_session`)).toBe(1);
	});
});
