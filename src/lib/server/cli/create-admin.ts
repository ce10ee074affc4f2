/**
 * `create-admin <email>`: creates an admin, or promotes an existing user and resets their
 * password. The password comes from ADMIN_PASSWORD, or is generated and printed once.
 * Either way the account's other sessions end (a reset must lock out whoever had it).
 */
import { emailSchema } from '$lib/schemas/auth';
import { audit } from '../audit';
import { generatePassword, hashPassword } from '../auth/password';
import { passwordProblem } from '../auth/password-policy';
import { invalidateUserSessions } from '../auth/session';
import { findUserByEmail, insertUser } from '../auth/users';
import type { Sql } from 'postgres';
import { out } from './format';

export async function createAdminCommand(sql: Sql, rawEmail: string, env: Record<string, string | undefined> = process.env): Promise<number> {
	const email = emailSchema.safeParse(rawEmail);
	if (!email.success) throw new Error(`create-admin: "${rawEmail}" is not a valid email address`);
	const given = env.ADMIN_PASSWORD || undefined;
	const problem = given === undefined ? null : passwordProblem(given);
	if (problem) throw new Error(`create-admin: ADMIN_PASSWORD ${problem.replace(/^Password /, '')}`);
	const password = given ?? generatePassword();
	const passwordHash = await hashPassword(password);
	const outcome = await sql.begin(async (tx) => {
		const existing = await findUserByEmail(tx, email.data);
		if (!existing) {
			const user = await insertUser(tx, { email: email.data, role: 'admin', passwordHash });
			await audit(tx, { actor: 'cli', action: 'user.create', entity: 'user', entityId: user.id, after: { email: user.email, role: 'admin' } });
			return 'created' as const;
		}
		await tx`update "user" set role = 'admin', password_hash = ${passwordHash}, updated_at = now() where id = ${existing.id}`;
		await invalidateUserSessions(tx, existing.id);
		await audit(tx, {
			actor: 'cli',
			action: 'user.password_reset',
			entity: 'user',
			entityId: existing.id,
			before: { email: existing.email, role: existing.role },
			after: { email: existing.email, role: 'admin' }
		});
		return existing.role === 'admin' ? ('reset' as const) : ('promoted' as const);
	});
	const what = {
		created: `created admin ${email.data}`,
		promoted: `${email.data} already existed as a viewer: promoted to admin and reset the password (their sessions were ended)`,
		reset: `${email.data} already was an admin: reset the password (their sessions were ended)`
	}[outcome];
	await out(what);
	await out(given === undefined ? `password: ${password}\n(shown only this once)` : 'password: from ADMIN_PASSWORD');
	return 0;
}
