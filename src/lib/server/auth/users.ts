/**
 * Users of the admin app (README, "Admin application", "Roles"): create, list, change role, delete, reset password.
 * Every change is audited with the acting admin's email. The last admin can be neither demoted
 * nor deleted: admin rows are locked first, so two concurrent demotions cannot both pass.
 */
import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import { audit } from '../audit';
import type { Actor } from '../audit/actor';
import type { Queryable } from '../db';
import { changeRoleSchema, createUserSchema, userIdSchema } from '$lib/schemas/auth';
import type { UserRole, UserStatus } from '../db/schema';
import { fieldError, invalid, notFound, ServiceError } from '../errors';
import { generatePassword, hashPassword } from './password';
import { passwordProblem } from './password-policy';
import { invalidateUserSessions } from './session';

export type UserView = {
	id: string;
	email: string;
	role: UserRole;
	status: UserStatus;
	lastSeenAt: Date | null;
	createdAt: Date;
};

type Row = { id: string; email: string; role: UserRole; status: UserStatus; last_seen_at: Date | null; created_at: Date };

const view = (r: Row): UserView => ({ id: r.id, email: r.email, role: r.role, status: r.status, lastSeenAt: r.last_seen_at, createdAt: r.created_at });
const audited = (u: Pick<UserView, 'email' | 'role'>) => ({ email: u.email, role: u.role });

const TAKEN = 'A user with this email already exists';
export const emailTaken = () => new ServiceError(409, 'email_taken', TAKEN, [{ path: 'email', message: TAKEN }]);
const lastAdmin = () => new ServiceError(409, 'last_admin', 'Cronkit needs at least one admin: make another user admin first');

function isUniqueViolation(err: unknown): boolean {
	return typeof err === 'object' && err !== null && 'code' in err && err.code === '23505';
}

export async function listUsers(sql: Queryable): Promise<UserView[]> {
	const rows = await sql<Row[]>`
		select id, email, role, status, last_seen_at, created_at from "user" order by email`;
	return rows.map(view);
}

export async function findUserByEmail(sql: Queryable, email: string): Promise<(UserView & { passwordHash: string }) | null> {
	const [row] = await sql<(Row & { password_hash: string })[]>`
		select id, email, role, status, last_seen_at, created_at, password_hash from "user" where email = ${email.trim().toLowerCase()}`;
	return row ? { ...view(row), passwordHash: row.password_hash } : null;
}

/** Inserts a user; the caller has validated and hashed. 409 for a taken email. */
export async function insertUser(sql: Queryable, u: { email: string; role: UserRole; passwordHash: string }): Promise<UserView> {
	try {
		const [row] = await sql<Row[]>`
			insert into "user" (id, email, password_hash, role)
			values (${randomUUID()}, ${u.email.trim().toLowerCase()}, ${u.passwordHash}, ${u.role})
			returning id, email, role, status, last_seen_at, created_at`;
		return view(row!);
	} catch (err) {
		if (isUniqueViolation(err)) throw emailTaken();
		throw err;
	}
}

/**
 * Creates a user from form input ({email, role, password?}). Without a password one is
 * generated and returned, to be shown once; it is never stored or logged in plain text.
 */
export async function createUser(sql: Sql, input: unknown, actor: Actor): Promise<{ user: UserView; generatedPassword: string | null }> {
	const parsed = createUserSchema.safeParse(input);
	if (!parsed.success) throw invalid(parsed.error);
	const { email, role } = parsed.data;
	const weak = parsed.data.password === undefined ? null : passwordProblem(parsed.data.password);
	if (weak) throw fieldError('password', weak);
	const generatedPassword = parsed.data.password === undefined ? generatePassword() : null;
	const passwordHash = await hashPassword(parsed.data.password ?? generatedPassword!);
	const user = await sql.begin(async (tx) => {
		const created = await insertUser(tx, { email, role, passwordHash });
		await audit(tx, { actor: actor.name, action: 'user.create', entity: 'user', entityId: created.id, after: audited(created) });
		return created;
	});
	return { user, generatedPassword };
}

/** Locks the admin rows (in a fixed order) and counts them. */
async function lockAdmins(tx: TransactionSql): Promise<number> {
	const rows = await tx`select id from "user" where role = 'admin' order by id for update`;
	return rows.length;
}

async function lockUser(tx: TransactionSql, id: string): Promise<UserView> {
	const [row] = await tx<Row[]>`select id, email, role, status, last_seen_at, created_at from "user" where id = ${id} for update`;
	if (!row) throw notFound('user');
	return view(row);
}

export async function changeRole(sql: Sql, input: unknown, actor: Actor): Promise<UserView> {
	const parsed = changeRoleSchema.safeParse(input);
	if (!parsed.success) throw invalid(parsed.error);
	const { id, role } = parsed.data;
	if (id === actor.userId) throw new ServiceError(400, 'self', 'You cannot change your own role');
	return sql.begin(async (tx) => {
		const admins = await lockAdmins(tx);
		const before = await lockUser(tx, id);
		if (before.role === role) return before;
		if (before.role === 'admin' && admins <= 1) throw lastAdmin();
		const [row] = await tx<Row[]>`
			update "user" set role = ${role}, updated_at = now() where id = ${id}
			returning id, email, role, status, last_seen_at, created_at`;
		const after = view(row!);
		await audit(tx, { actor: actor.name, action: 'user.role', entity: 'user', entityId: id, before: audited(before), after: audited(after) });
		return after;
	});
}

export async function deleteUser(sql: Sql, input: unknown, actor: Actor): Promise<UserView> {
	const parsed = userIdSchema.safeParse(input);
	if (!parsed.success) throw invalid(parsed.error);
	const { id } = parsed.data;
	if (id === actor.userId) throw new ServiceError(400, 'self', 'You cannot delete your own account');
	return sql.begin(async (tx) => {
		const admins = await lockAdmins(tx);
		const before = await lockUser(tx, id);
		if (before.role === 'admin' && admins <= 1) throw lastAdmin();
		// auth_session rows go with it (on delete cascade): the user is signed out at once.
		await tx`delete from "user" where id = ${id}`;
		await audit(tx, { actor: actor.name, action: 'user.delete', entity: 'user', entityId: id, before: audited(before) });
		return before;
	});
}

/** Sets a new password and signs the user out everywhere. */
export async function resetPassword(sql: Sql, id: string, password: string, actor: Actor): Promise<void> {
	const problem = passwordProblem(password);
	if (problem) throw fieldError('password', problem);
	const passwordHash = await hashPassword(password);
	await sql.begin(async (tx) => {
		const before = await lockUser(tx, id);
		await tx`update "user" set password_hash = ${passwordHash}, updated_at = now() where id = ${id}`;
		await invalidateUserSessions(tx, id);
		await audit(tx, { actor: actor.name, action: 'user.password_reset', entity: 'user', entityId: id, before: audited(before), after: audited(before) });
	});
}
