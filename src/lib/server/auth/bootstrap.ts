/**
 * The first admin (README, "Admin application"): when no admin exists at boot, create one from ADMIN_EMAIL /
 * ADMIN_PASSWORD, or generate a password and print it once, to stdout only (never the log).
 * A transaction-scoped advisory lock makes instances booting together create just one.
 */
import type { Sql } from 'postgres';
import { audit } from '../audit';
import { generatePassword, hashPassword } from './password';
import { findUserByEmail, insertUser } from './users';

/** Used when ADMIN_EMAIL is unset. */
export const DEFAULT_ADMIN_EMAIL = 'admin@localhost';
const LOCK_KEY = 'cronkit:first-admin';

export type FirstAdminResult =
	| { created: false; reason: 'admin-exists' }
	| { created: true; email: string; promoted: boolean; generatedPassword: string | null };

export async function ensureFirstAdmin(
	sql: Sql,
	opts: { email?: string; password?: string; print?: (text: string) => void }
): Promise<FirstAdminResult> {
	const email = (opts.email ?? DEFAULT_ADMIN_EMAIL).trim().toLowerCase();
	const result = await sql.begin(async (tx): Promise<FirstAdminResult> => {
		await tx`select pg_advisory_xact_lock(hashtext(${LOCK_KEY}))`;
		const [admin] = await tx`select 1 from "user" where role = 'admin' limit 1`;
		if (admin) return { created: false, reason: 'admin-exists' };
		const existing = await findUserByEmail(tx, email);
		const generatedPassword = opts.password || existing ? null : generatePassword();
		if (existing) {
			// That email already has an account (a viewer): promote it; a given password replaces its own.
			const hash = opts.password ? await hashPassword(opts.password) : null;
			await tx`
				update "user" set role = 'admin', password_hash = coalesce(${hash}, password_hash), updated_at = now()
				where id = ${existing.id}`;
			await audit(tx, { actor: 'system', action: 'user.role', entity: 'user', entityId: existing.id, before: { email, role: existing.role }, after: { email, role: 'admin' } });
			return { created: true, email, promoted: true, generatedPassword: null };
		}
		const user = await insertUser(tx, { email, role: 'admin', passwordHash: await hashPassword(opts.password ?? generatedPassword!) });
		await audit(tx, { actor: 'system', action: 'user.create', entity: 'user', entityId: user.id, after: { email, role: 'admin' } });
		return { created: true, email, promoted: false, generatedPassword };
	});
	if (result.created && result.generatedPassword) {
		const print = opts.print ?? ((text: string) => process.stdout.write(text));
		print(
			[
				'',
				'  Cronkit: created the first admin account.',
				`    email:    ${result.email}`,
				`    password: ${result.generatedPassword}`,
				'  This password is shown only this once: sign in at /login and keep it safe',
				'  (`npm run cron -- create-admin <email>` sets a new one).',
				''
			].join('\n') + '\n'
		);
	}
	return result;
}
