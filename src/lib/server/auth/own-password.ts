/**
 * A signed-in user changes their own password (/admin/account, README.md#accounts): the current
 * password, then a new one under the rules of a new user's (password-policy.ts), typed twice.
 * Wrong current passwords are counted per account like failed sign-ins (login.ts: the slot is
 * taken before the check, so parallel guesses cannot slip through; 10 in 15 minutes, then 429
 * with Retry-After): a session left open on a shared machine cannot be used to guess the
 * password. Success replaces the argon2id hash, ends every other session of the user (this one
 * is kept) and is audited without any secret.
 */
import type { Sql } from 'postgres';
import { changeOwnPasswordSchema } from '$lib/schemas/auth';
import { audit } from '../audit';
import { hashPassword, verifyPassword } from './password';
import { passwordProblem } from './password-policy';
import { invalidateUserSessions } from './session';
import { hit, reset, type Limit } from './throttle';

export const PASSWORD_CHANGE_LIMIT: Limit = { max: 10, windowMs: 15 * 60_000 };

export const passwordChangeKey = (userId: string) => `password-change:${userId}`;

export const WRONG_CURRENT_PASSWORD = 'Incorrect password';

export type PasswordChangeResult =
	| { ok: true; endedSessions: number }
	| { ok: false; reason: 'invalid'; message: string; errors: Record<string, string> }
	| { ok: false; reason: 'throttled'; message: string; retryAfterSeconds: number };

const LABELS: Record<string, string> = { current: 'Current password', password: 'New password', confirm: 'Confirm the new password' };

function invalidResult(errors: Record<string, string>): PasswordChangeResult {
	const [field, message] = Object.entries(errors)[0]!;
	return { ok: false, reason: 'invalid', message: `${LABELS[field] ?? field}: ${message}`, errors };
}

/**
 * Changes the password of `user` (signed in with session `sessionId`) from the form's
 * `current`, `password` and `confirm`.
 */
export async function changeOwnPassword(
	sql: Sql,
	user: { id: string; email: string },
	sessionId: string | null,
	input: unknown,
	limit: Limit = PASSWORD_CHANGE_LIMIT
): Promise<PasswordChangeResult> {
	const parsed = changeOwnPasswordSchema.safeParse(input);
	if (!parsed.success) {
		const errors: Record<string, string> = {};
		for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
		return invalidResult(errors);
	}
	const { current, password, confirm } = parsed.data;
	// The new password's own problems first: they reveal nothing about the current one.
	const errors: Record<string, string> = {};
	const weak = passwordProblem(password);
	if (weak) errors.password = weak;
	else if (password === current) errors.password = 'Must differ from the current password';
	if (confirm !== password) errors.confirm = 'Does not match the new password';
	if (Object.keys(errors).length) return invalidResult(errors);

	const key = passwordChangeKey(user.id);
	const counted = await hit(sql, key, limit);
	if (counted.hits > limit.max) {
		const minutes = Math.ceil(counted.retryAfterSeconds / 60);
		return { ok: false, reason: 'throttled', message: `Too many wrong passwords. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, retryAfterSeconds: counted.retryAfterSeconds };
	}
	const [row] = await sql<{ password_hash: string; role: string }[]>`select password_hash, role from "user" where id = ${user.id}`;
	if (!row || !(await verifyPassword(row.password_hash, current))) return invalidResult({ current: WRONG_CURRENT_PASSWORD });
	await reset(sql, key);

	const passwordHash = await hashPassword(password);
	const endedSessions = await sql.begin(async (tx) => {
		await tx`update "user" set password_hash = ${passwordHash}, updated_at = now() where id = ${user.id}`;
		const ended = await invalidateUserSessions(tx, user.id, sessionId);
		await audit(tx, {
			actor: user.email,
			action: 'user.password_change',
			entity: 'user',
			entityId: user.id,
			after: { email: user.email, role: row.role, otherSessionsEnded: ended }
		});
		return ended;
	});
	return { ok: true, endedSessions };
}
