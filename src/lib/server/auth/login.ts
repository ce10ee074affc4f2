/**
 * Signing in (SPEC §7): throttled per client IP and per email, one generic error for an
 * unknown email and a wrong password, and the same argon2 work in both cases.
 *
 * Each attempt takes its throttle slot *before* the password check (and gives it back when it
 * succeeds), so a burst of parallel guesses cannot all slip through while the first ones are
 * still being verified.
 */
import type { Sql } from 'postgres';
import { loginSchema } from '$lib/schemas/auth';
import { verifyDummy, verifyPassword } from './password';
import { createSession, type SessionUser } from './session';
import { hit, refund, reset, type Limit } from './throttle';
import { findUserByEmail } from './users';

const WINDOW_MS = 15 * 60_000;

/**
 * 10 failures per email per 15 minutes stop password guessing against one account; the IP
 * limit is higher because many people may share one address (an office, a proxy).
 */
export const LOGIN_LIMITS = {
	email: { max: 10, windowMs: WINDOW_MS },
	ip: { max: 50, windowMs: WINDOW_MS }
} as const satisfies Record<string, Limit>;

export const GENERIC_LOGIN_ERROR = 'Incorrect email or password';

export type LoginResult =
	| { ok: true; user: SessionUser; token: string; expiresAt: Date }
	| { ok: false; reason: 'invalid'; message: string; fields: Record<string, string> }
	| { ok: false; reason: 'throttled'; message: string; retryAfterSeconds: number };

export const emailKey = (email: string) => `login:email:${email}`;
export const ipKey = (ip: string) => `login:ip:${ip}`;

function throttledMessage(seconds: number): string {
	const minutes = Math.ceil(seconds / 60);
	return `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

export async function login(
	sql: Sql,
	input: { email: unknown; password: unknown; ip: string },
	limits: { email: Limit; ip: Limit } = LOGIN_LIMITS
): Promise<LoginResult> {
	const parsed = loginSchema.safeParse({ email: input.email, password: input.password });
	if (!parsed.success) {
		const fields: Record<string, string> = {};
		for (const issue of parsed.error.issues) fields[String(issue.path[0])] ??= issue.message;
		return { ok: false, reason: 'invalid', message: Object.values(fields)[0] ?? GENERIC_LOGIN_ERROR, fields };
	}
	const { email, password } = parsed.data;
	const keys = { email: emailKey(email), ip: ipKey(input.ip) };

	const [byIp, byEmail] = await Promise.all([hit(sql, keys.ip, limits.ip), hit(sql, keys.email, limits.email)]);
	const over = [byIp.hits > limits.ip.max ? byIp : null, byEmail.hits > limits.email.max ? byEmail : null].filter((h) => h !== null);
	if (over.length) {
		const retryAfterSeconds = Math.max(...over.map((h) => h.retryAfterSeconds));
		return { ok: false, reason: 'throttled', message: throttledMessage(retryAfterSeconds), retryAfterSeconds };
	}

	const user = await findUserByEmail(sql, email);
	const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyDummy(password);
	if (!user || !valid) return { ok: false, reason: 'invalid', message: GENERIC_LOGIN_ERROR, fields: {} };

	// Success: this attempt does not count, and the account's failures are forgiven.
	await Promise.all([refund(sql, keys.ip), reset(sql, keys.email)]);
	const { token, expiresAt } = await createSession(sql, user.id);
	return { ok: true, user: { id: user.id, email: user.email, role: user.role }, token, expiresAt };
}
