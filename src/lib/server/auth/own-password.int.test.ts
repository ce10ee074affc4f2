import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { changeOwnPassword, passwordChangeKey, WRONG_CURRENT_PASSWORD } from './own-password';
import { verifyPassword } from './password';
import { WEAK_PASSWORD } from './password-policy';
import { createSession, validateSessionToken } from './session';
import { createUser, findUserByEmail } from './users';

let t: TestDatabase;
let me: { id: string; email: string };

const OLD = 'old-horse-battery-7';
const NEW = 'violet quarry mantis 42';

beforeAll(async () => {
	t = await createTestDatabase();
});
afterAll(async () => {
	await t?.drop();
});
beforeEach(async () => {
	await t.sql`delete from "user"`;
	await t.sql`delete from audit_log`;
	await t.sql`delete from rate_limit`;
	const { user } = await createUser(t.sql, { email: 'viewer@example.com', role: 'viewer', password: OLD }, { name: 'test', userId: null });
	me = { id: user.id, email: user.email };
});

const hashOf = async () => (await findUserByEmail(t.sql, me.email))!.passwordHash;

describe('changing your own password', () => {
	it('replaces the argon2id hash, ends every other session of the user and keeps this one, audited without secrets', async () => {
		const here = await createSession(t.sql, me.id);
		const phone = await createSession(t.sql, me.id);
		const laptop = await createSession(t.sql, me.id);
		const { user: other } = await createUser(t.sql, { email: 'other@example.com', role: 'admin', password: OLD }, { name: 'test', userId: null });
		const otherSession = await createSession(t.sql, other.id);
		const before = await hashOf();

		const result = await changeOwnPassword(t.sql, me, here.session.id, { current: OLD, password: NEW, confirm: NEW });
		expect(result).toEqual({ ok: true, endedSessions: 2 });

		const after = await hashOf();
		expect(after).not.toBe(before);
		expect(after).toMatch(/^\$argon2id\$/);
		expect(await verifyPassword(after, NEW)).toBe(true);
		expect(await verifyPassword(after, OLD)).toBe(false);
		expect(await validateSessionToken(t.sql, here.token)).not.toBeNull();
		expect(await validateSessionToken(t.sql, phone.token)).toBeNull();
		expect(await validateSessionToken(t.sql, laptop.token)).toBeNull();
		// Another user's sessions are not touched.
		expect(await validateSessionToken(t.sql, otherSession.token)).not.toBeNull();

		const rows = await t.sql`select actor, action, entity, entity_id, before, after from audit_log where action = 'user.password_change'`;
		expect(rows).toEqual([
			{ actor: 'viewer@example.com', action: 'user.password_change', entity: 'user', entity_id: me.id, before: null, after: { email: 'viewer@example.com', role: 'viewer', otherSessionsEnded: 2 } }
		]);
		const everything = JSON.stringify(await t.sql`select * from audit_log`);
		for (const secret of [OLD, NEW, before, after]) expect(everything).not.toContain(secret);
	});

	it('refuses a wrong current password naming the field, and changes nothing', async () => {
		const here = await createSession(t.sql, me.id);
		const elsewhere = await createSession(t.sql, me.id);
		const before = await hashOf();
		const result = await changeOwnPassword(t.sql, me, here.session.id, { current: 'not-my-password-at-all', password: NEW, confirm: NEW });
		expect(result).toEqual({ ok: false, reason: 'invalid', message: `Current password: ${WRONG_CURRENT_PASSWORD}`, errors: { current: WRONG_CURRENT_PASSWORD } });
		expect(await hashOf()).toBe(before);
		expect(await validateSessionToken(t.sql, elsewhere.token)).not.toBeNull();
		expect(await t.sql`select 1 from audit_log where action = 'user.password_change'`).toHaveLength(0);
	});

	it('holds the new password to the rules of a new user, and the confirmation to the new password', async () => {
		const before = await hashOf();
		const cases: [Record<string, unknown>, Record<string, string>][] = [
			[{ current: OLD, password: 'short', confirm: 'short' }, { password: 'Password must be at least 12 characters' }],
			[{ current: OLD, password: 'password1234', confirm: 'password1234' }, { password: WEAK_PASSWORD }],
			[{ current: OLD, password: NEW, confirm: `${NEW}!` }, { confirm: 'Does not match the new password' }],
			[{ current: OLD, password: OLD, confirm: OLD }, { password: 'Must differ from the current password' }],
			[{ password: NEW, confirm: NEW }, { current: 'Enter your current password' }],
			[{ current: OLD, password: NEW }, { confirm: 'Type the new password again' }]
		];
		for (const [input, errors] of cases) {
			const result = await changeOwnPassword(t.sql, me, null, input);
			expect(result).toMatchObject({ ok: false, reason: 'invalid', errors });
		}
		expect(await hashOf()).toBe(before);
		// None of these checked the current password: none counts as a guess.
		expect(await t.sql`select hits from rate_limit where key = ${passwordChangeKey(me.id)}`).toHaveLength(0);
	});

	it('throttles wrong current passwords per account like sign-ins (429 with the seconds to wait), and forgives them after a success', async () => {
		const limit = { max: 3, windowMs: 60_000 };
		const wrong = { current: 'a-wrong-guess-here', password: NEW, confirm: NEW };
		for (let i = 0; i < 3; i++) expect(await changeOwnPassword(t.sql, me, null, wrong, limit)).toMatchObject({ ok: false, reason: 'invalid' });
		// Parallel guesses past the limit are all turned away, the right password too, before any check.
		const burst = await Promise.all([wrong, wrong, { current: OLD, password: NEW, confirm: NEW }].map((input) => changeOwnPassword(t.sql, me, null, input, limit)));
		for (const r of burst) {
			expect(r).toMatchObject({ ok: false, reason: 'throttled', message: 'Too many wrong passwords. Try again in 1 minute.' });
			expect(r.ok === false && r.reason === 'throttled' && r.retryAfterSeconds).toBeGreaterThan(0);
		}
		expect(await verifyPassword(await hashOf(), OLD)).toBe(true);

		// The window ends (moved into the past here): the right password goes through and resets the count.
		await t.sql`update rate_limit set window_ends_at = now() - interval '1 second' where key = ${passwordChangeKey(me.id)}`;
		expect(await changeOwnPassword(t.sql, me, null, { current: OLD, password: NEW, confirm: NEW }, limit)).toEqual({ ok: true, endedSessions: 0 });
		expect(await t.sql`select hits from rate_limit where key = ${passwordChangeKey(me.id)}`).toHaveLength(0);
	});
});
