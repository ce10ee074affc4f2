/**
 * Signing in (README.md#sign-in-throttling): one generic error for an unknown email and a wrong
 * password, the same argon2 work in both cases, and throttling that cannot be turned against the
 * account's owner. Failures are counted
 * - per (email, IP): 10 in 15 minutes stop guessing one account from one place;
 * - per IP: 50 in 15 minutes (many people may share an address: an office, a proxy);
 * - per account, for unknown devices only: 20 in 15 minutes stop guessing from many addresses;
 * - per device, for a browser carrying this account's device cookie (it signed in before): 10 in
 *   15 minutes, and nothing else. Failures from elsewhere never lock out a known device.
 *
 * Each attempt takes its throttle slots *before* the password check (and gives them back when it
 * succeeds), so a burst of parallel guesses cannot all slip through while the first ones are
 * still being verified.
 */
import type { Sql } from 'postgres';
import { loginSchema } from '$lib/schemas/auth';
import type { Device } from './device-cookie';
import { verifyDummy, verifyPassword } from './password';
import { createSession, type SessionUser } from './session';
import { hit, refund, reset, type Hit, type Limit } from './throttle';
import { findUserByEmail } from './users';

const WINDOW_MS = 15 * 60_000;

export const LOGIN_LIMITS = {
	emailIp: { max: 10, windowMs: WINDOW_MS },
	ip: { max: 50, windowMs: WINDOW_MS },
	account: { max: 20, windowMs: WINDOW_MS },
	device: { max: 10, windowMs: WINDOW_MS }
} as const satisfies Record<string, Limit>;

export type LoginLimits = { [K in keyof typeof LOGIN_LIMITS]: Limit };

export const GENERIC_LOGIN_ERROR = 'Incorrect email or password';

export type LoginResult =
	| { ok: true; user: SessionUser; token: string; expiresAt: Date }
	| { ok: false; reason: 'invalid'; message: string; fields: Record<string, string> }
	| { ok: false; reason: 'throttled'; message: string; retryAfterSeconds: number };

export const emailIpKey = (email: string, ip: string) => `login:email-ip:${email}|${ip}`;
export const ipKey = (ip: string) => `login:ip:${ip}`;
export const accountKey = (email: string) => `login:account:${email}`;
export const deviceKey = (nonce: string) => `login:device:${nonce}`;

function throttledMessage(seconds: number): string {
	const minutes = Math.ceil(seconds / 60);
	return `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

type Counter = { key: string; limit: Limit; onSuccess: 'refund' | 'reset' };

/** The counters an attempt takes a slot in: its device's alone, or those of unknown devices. */
function countersFor(email: string, ip: string, device: Device | null, limits: LoginLimits): Counter[] {
	if (device && device.email === email) return [{ key: deviceKey(device.nonce), limit: limits.device, onSuccess: 'reset' }];
	return [
		{ key: emailIpKey(email, ip), limit: limits.emailIp, onSuccess: 'reset' },
		{ key: ipKey(ip), limit: limits.ip, onSuccess: 'refund' },
		{ key: accountKey(email), limit: limits.account, onSuccess: 'refund' }
	];
}

export async function login(
	sql: Sql,
	input: { email: unknown; password: unknown; ip: string; device?: Device | null },
	limits: LoginLimits = LOGIN_LIMITS
): Promise<LoginResult> {
	const parsed = loginSchema.safeParse({ email: input.email, password: input.password });
	if (!parsed.success) {
		const fields: Record<string, string> = {};
		for (const issue of parsed.error.issues) fields[String(issue.path[0])] ??= issue.message;
		return { ok: false, reason: 'invalid', message: Object.values(fields)[0] ?? GENERIC_LOGIN_ERROR, fields };
	}
	const { email, password } = parsed.data;
	const counters = countersFor(email, input.ip, input.device ?? null, limits);

	const hits: Hit[] = await Promise.all(counters.map((c) => hit(sql, c.key, c.limit)));
	const over = hits.filter((h, i) => h.hits > counters[i]!.limit.max);
	if (over.length) {
		const retryAfterSeconds = Math.max(...over.map((h) => h.retryAfterSeconds));
		return { ok: false, reason: 'throttled', message: throttledMessage(retryAfterSeconds), retryAfterSeconds };
	}

	const user = await findUserByEmail(sql, email);
	const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyDummy(password);
	if (!user || !valid) return { ok: false, reason: 'invalid', message: GENERIC_LOGIN_ERROR, fields: {} };

	// Success: this attempt does not count, and the failures of this device or place are forgiven.
	await Promise.all(counters.map((c) => (c.onSuccess === 'reset' ? reset(sql, c.key) : refund(sql, c.key))));
	const { token, expiresAt } = await createSession(sql, user.id);
	return { ok: true, user: { id: user.id, email: user.email, role: user.role }, token, expiresAt };
}
