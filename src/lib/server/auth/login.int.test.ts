import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { accountKey, deviceKey, emailIpKey, GENERIC_LOGIN_ERROR, ipKey, login, LOGIN_LIMITS } from './login';
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

	it('throttles (email, IP) after 10 failures, even for the right password, with the seconds left', async () => {
		for (let i = 0; i < LOGIN_LIMITS.emailIp.max; i++) expect((await attempt('ada@example.com', `guess-${i}`, '10.0.1.1')).ok).toBe(false);
		const r = await attempt('ada@example.com', PASSWORD, '10.0.1.1');
		expect(r).toMatchObject({ ok: false, reason: 'throttled' });
		if (r.ok || r.reason !== 'throttled') return;
		expect(r.retryAfterSeconds).toBeGreaterThan(14 * 60);
		expect(r.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
		expect(r.message).toMatch(/Too many failed sign-in attempts\. Try again in 15 minutes\./);
		// The owner elsewhere is not locked out (this was a denial of service), nor another account here.
		expect((await attempt('ada@example.com', PASSWORD, '10.0.1.2')).ok).toBe(true);
		expect(await attempt('nobody@example.com', 'x', '10.0.1.1')).toMatchObject({ reason: 'invalid' });
	});

	it('opens again when the window has ended', async () => {
		for (let i = 0; i < LOGIN_LIMITS.emailIp.max; i++) await attempt('ada@example.com', 'nope');
		expect(await attempt('ada@example.com', PASSWORD)).toMatchObject({ reason: 'throttled' });
		await t.sql`update rate_limit set window_ends_at = now() - interval '1 second'`;
		expect((await attempt('ada@example.com', PASSWORD)).ok).toBe(true);
	});

	it('throttles an IP after 50 failures across emails; other addresses are not affected', async () => {
		for (let i = 0; i < LOGIN_LIMITS.ip.max; i++) expect(await attempt(`user-${i}@x.io`, 'x', '10.9.9.9')).toMatchObject({ reason: 'invalid' });
		expect(await attempt('ada@example.com', PASSWORD, '10.9.9.9')).toMatchObject({ reason: 'throttled' });
		expect((await attempt('ada@example.com', PASSWORD, '10.9.9.8')).ok).toBe(true);
	});

	it('throttles an account after 20 failures from unknown devices, but never a known device', async () => {
		const signedIn = await attempt('ada@example.com', PASSWORD, '10.2.0.1');
		expect(signedIn.ok).toBe(true);
		const known = { email: 'ada@example.com', nonce: 'device-nonce-1' };
		for (let i = 0; i < LOGIN_LIMITS.account.max; i++) expect(await attempt('ada@example.com', `spray-${i}`, `10.3.${i}.1`)).toMatchObject({ reason: 'invalid' });
		// A new address, the right password, but an unknown device: the account is closed to it.
		expect(await attempt('ada@example.com', PASSWORD, '10.4.0.1')).toMatchObject({ reason: 'throttled' });
		// The browser that signed in before carries its device cookie: it gets in, from anywhere.
		expect((await login(t.sql, { email: 'ada@example.com', password: PASSWORD, ip: '10.3.0.1', device: known })).ok).toBe(true);
		// A device cookie of another account counts as an unknown device.
		expect(await login(t.sql, { email: 'ada@example.com', password: PASSWORD, ip: '10.4.0.2', device: { email: 'eve@example.com', nonce: 'n' } })).toMatchObject({
			reason: 'throttled'
		});
	});

	it('a known device is throttled by its own failures only: 10 per 15 minutes', async () => {
		const device = { email: 'ada@example.com', nonce: 'device-nonce-2' };
		const viaDevice = (password: string) => login(t.sql, { email: 'ada@example.com', password, ip: '10.5.0.1', device });
		for (let i = 0; i < LOGIN_LIMITS.device.max; i++) expect(await viaDevice(`typo-${i}`)).toMatchObject({ reason: 'invalid' });
		expect(await viaDevice(PASSWORD)).toMatchObject({ reason: 'throttled' });
		// Its failures did not count against the address or the account.
		expect(await scalar(t.sql`select count(*)::int from rate_limit where key like 'login:%' and key <> ${deviceKey('device-nonce-2')}`)).toBe(0);
	});

	it('forgives the place’s failures after a successful sign-in and gives back the shared slots', async () => {
		for (let i = 0; i < 5; i++) await attempt('ada@example.com', 'nope');
		expect((await attempt('ada@example.com', PASSWORD)).ok).toBe(true);
		expect(await scalar(t.sql`select count(*)::int from rate_limit where key = ${emailIpKey('ada@example.com', '10.0.0.1')}`)).toBe(0);
		expect(await scalar(t.sql`select hits from rate_limit where key = ${ipKey('10.0.0.1')}`)).toBe(5);
		expect(await scalar(t.sql`select hits from rate_limit where key = ${accountKey('ada@example.com')}`)).toBe(5);
	});

	it('lets no more than the limit through a burst of parallel guesses', async () => {
		// Only the (email, IP) counter can bind: with two counters near their limits (earlier tests
		// leave hits on the account and the IP), an attempt can be among the first 10 of one and
		// past the limit of the other, and fewer than 10 get through.
		const limits = { ...LOGIN_LIMITS, ip: { ...LOGIN_LIMITS.ip, max: 1_000 }, account: { ...LOGIN_LIMITS.account, max: 1_000 } };
		const results = await Promise.all(
			Array.from({ length: 25 }, (_, i) => login(t.sql, { email: 'ada@example.com', password: `burst-${i}`, ip: '10.0.9.9' }, limits))
		);
		expect(results.filter((r) => !r.ok && r.reason === 'invalid')).toHaveLength(LOGIN_LIMITS.emailIp.max);
		expect(results.filter((r) => !r.ok && r.reason === 'throttled')).toHaveLength(25 - LOGIN_LIMITS.emailIp.max);
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
