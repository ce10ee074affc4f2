import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { emailKey, GENERIC_LOGIN_ERROR, ipKey, login, LOGIN_LIMITS } from './login';
import { hashPassword } from './password';
import { validateSessionToken } from './session';
import { hit } from './throttle';
import { insertUser } from './users';

let t: TestDatabase;
const PASSWORD = 'a-long-enough-password';

beforeAll(async () => {
	t = await createTestDatabase();
	await insertUser(t.sql, { email: 'ada@example.com', role: 'admin', passwordHash: await hashPassword(PASSWORD) });
});
afterAll(async () => {
	await t?.drop();
});
beforeEach(async () => {
	await t.sql`delete from rate_limit`;
});

const attempt = (email: string, password: string, ip = '10.0.0.1') => login(t.sql, { email, password, ip });

describe('login', () => {
	it('signs in with the right password, whatever the email case, and opens a session', async () => {
		const r = await attempt('  ADA@example.com ', PASSWORD);
		expect(r.ok).toBe(true);
		if (!r.ok) return;
		expect(r.user.email).toBe('ada@example.com');
		expect((await validateSessionToken(t.sql, r.token))?.user.id).toBe(r.user.id);
	});

	it('answers the same generic error for a wrong password and an unknown email', async () => {
		const wrong = await attempt('ada@example.com', 'wrong-password');
		const unknown = await attempt('nobody@example.com', PASSWORD);
		expect(wrong).toEqual({ ok: false, reason: 'invalid', message: GENERIC_LOGIN_ERROR, fields: {} });
		expect(unknown).toEqual(wrong);
	});

	it('rejects empty input as a form error without counting it', async () => {
		const r = await attempt('', '');
		expect(r).toMatchObject({ ok: false, reason: 'invalid', fields: { email: 'Enter an email address', password: 'Enter your password' } });
		expect(await scalar(t.sql`select count(*)::int from rate_limit`)).toBe(0);
	});

	it('throttles an email after 10 failures in the window, with the seconds left, even for the right password', async () => {
		for (let i = 0; i < LOGIN_LIMITS.email.max; i++) expect((await attempt('ada@example.com', `guess-${i}`, `10.0.1.${i}`)).ok).toBe(false);
		const r = await attempt('ada@example.com', PASSWORD, '10.0.2.1');
		expect(r).toMatchObject({ ok: false, reason: 'throttled' });
		if (r.ok || r.reason !== 'throttled') return;
		expect(r.retryAfterSeconds).toBeGreaterThan(14 * 60);
		expect(r.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
		expect(r.message).toMatch(/Too many failed sign-in attempts\. Try again in 15 minutes\./);
		// Another account is not affected.
		expect((await attempt('nobody@example.com', 'x', '10.0.2.2')).ok).toBe(false);
		expect((await attempt('nobody@example.com', 'x', '10.0.2.2')) as { reason: string }).toMatchObject({ reason: 'invalid' });
	});

	it('opens again when the window has ended', async () => {
		for (let i = 0; i < LOGIN_LIMITS.email.max; i++) await attempt('ada@example.com', 'nope', `10.0.3.${i}`);
		expect(await attempt('ada@example.com', PASSWORD)).toMatchObject({ reason: 'throttled' });
		await t.sql`update rate_limit set window_ends_at = now() - interval '1 second'`;
		expect((await attempt('ada@example.com', PASSWORD)).ok).toBe(true);
	});

	it('throttles an IP across emails, and a success does not count against it', async () => {
		const limits = { email: LOGIN_LIMITS.email, ip: { max: 3, windowMs: 60_000 } };
		expect((await login(t.sql, { email: 'ada@example.com', password: PASSWORD, ip: '10.9.9.9' }, limits)).ok).toBe(true);
		for (const e of ['a@x.io', 'b@x.io', 'c@x.io']) expect(await login(t.sql, { email: e, password: 'x', ip: '10.9.9.9' }, limits)).toMatchObject({ reason: 'invalid' });
		expect(await login(t.sql, { email: 'd@x.io', password: 'x', ip: '10.9.9.9' }, limits)).toMatchObject({ reason: 'throttled' });
		expect(await login(t.sql, { email: 'd@x.io', password: 'x', ip: '10.9.9.8' }, limits)).toMatchObject({ reason: 'invalid' });
	});

	it('forgives an account’s failures after a successful sign-in', async () => {
		for (let i = 0; i < 5; i++) await attempt('ada@example.com', 'nope');
		expect((await attempt('ada@example.com', PASSWORD)).ok).toBe(true);
		expect(await scalar(t.sql`select count(*)::int from rate_limit where key = ${emailKey('ada@example.com')}`)).toBe(0);
		expect(await scalar(t.sql`select hits from rate_limit where key = ${ipKey('10.0.0.1')}`)).toBe(5);
	});

	it('lets no more than the limit through a burst of parallel guesses', async () => {
		const results = await Promise.all(Array.from({ length: 25 }, (_, i) => attempt('ada@example.com', `burst-${i}`, `10.1.0.${i}`)));
		expect(results.filter((r) => !r.ok && r.reason === 'invalid')).toHaveLength(LOGIN_LIMITS.email.max);
		expect(results.filter((r) => !r.ok && r.reason === 'throttled')).toHaveLength(25 - LOGIN_LIMITS.email.max);
	});
});

describe('rate_limit windows', () => {
	it('count within a fixed window and restart after it', async () => {
		const limit = { max: 2, windowMs: 60_000 };
		const a = await hit(t.sql, 'k', limit);
		const b = await hit(t.sql, 'k', limit);
		expect([a.hits, b.hits]).toEqual([1, 2]);
		expect(b.windowEndsAt).toEqual(a.windowEndsAt);
		expect(a.retryAfterSeconds).toBeGreaterThan(58);
		await t.sql`update rate_limit set window_ends_at = now() - interval '1 ms' where key = 'k'`;
		expect((await hit(t.sql, 'k', limit)).hits).toBe(1);
	});
});
