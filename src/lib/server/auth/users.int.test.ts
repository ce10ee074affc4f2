import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { createAdminCommand } from '../cli/create-admin';
import { DEFAULT_ADMIN_EMAIL, ensureFirstAdmin } from './bootstrap';
import { verifyPassword } from './password';
import { forgetTouch, markUsersOffline, touchUser } from './presence';
import { createSession, validateSessionToken } from './session';
import { changeRole, createUser, deleteUser, findUserByEmail, listUsers, resetPassword } from './users';
import { actorOf, type Actor } from '../audit/actor';

let t: TestDatabase;

beforeAll(async () => {
	t = await createTestDatabase();
});
afterAll(async () => {
	await t?.drop();
});
beforeEach(async () => {
	await t.sql`delete from "user"`;
	await t.sql`delete from audit_log`;
	forgetTouch();
});

async function caught(fn: () => Promise<unknown>): Promise<{ status?: number; code?: string; message: string }> {
	try {
		await fn();
	} catch (err) {
		return err as { status?: number; code?: string; message: string };
	}
	throw new Error('expected a failure');
}

/** A new admin, as the actor of what it does (and its user id). */
async function seedAdmin(email = 'root@example.com'): Promise<Actor & { id: string }> {
	const { user } = await createUser(t.sql, { email, role: 'admin', password: 'root-password-1' }, { name: 'test', userId: null });
	return { id: user.id, ...actorOf(user) };
}

describe('users', () => {
	it('are created with a lower-cased email, audited without secrets, and listed', async () => {
		const admin = await seedAdmin();
		const { user, generatedPassword } = await createUser(t.sql, { email: ' Viewer@Example.COM ', role: 'viewer', password: 'viewer-password' }, admin);
		expect(user).toMatchObject({ email: 'viewer@example.com', role: 'viewer', status: 'offline', lastSeenAt: null });
		expect(generatedPassword).toBeNull();
		expect(await verifyPassword((await findUserByEmail(t.sql, 'viewer@example.com'))!.passwordHash, 'viewer-password')).toBe(true);
		expect((await listUsers(t.sql)).map((u) => u.email)).toEqual(['root@example.com', 'viewer@example.com']);
		const [entry] = await t.sql`select actor, action, entity, entity_id, after from audit_log where entity_id = ${user.id}`;
		expect(entry).toEqual({ actor: 'root@example.com', action: 'user.create', entity: 'user', entity_id: user.id, after: { email: 'viewer@example.com', role: 'viewer' } });
	});

	it('get a generated password, returned once, when none is given', async () => {
		const admin = await seedAdmin();
		const { user, generatedPassword } = await createUser(t.sql, { email: 'gen@example.com', role: 'viewer', password: '' }, admin);
		expect(generatedPassword).toMatch(/^[A-Za-z0-9]{24}$/);
		expect(await verifyPassword((await findUserByEmail(t.sql, user.email))!.passwordHash, generatedPassword!)).toBe(true);
		expect(JSON.stringify(await t.sql`select * from audit_log`)).not.toContain(generatedPassword);
	});

	it('refuse a taken email (any case) with a clear 409, and bad input with a 400 naming the field', async () => {
		const admin = await seedAdmin();
		expect(await caught(() => createUser(t.sql, { email: 'ROOT@example.com', role: 'viewer' }, admin))).toMatchObject({
			status: 409,
			code: 'email_taken',
			message: 'A user with this email already exists'
		});
		expect(await caught(() => createUser(t.sql, { email: 'x', role: 'viewer' }, admin))).toMatchObject({ status: 400, message: 'email: Enter a valid email address' });
		expect(await caught(() => createUser(t.sql, { email: 'a@b.c', role: 'owner' }, admin))).toMatchObject({ status: 400, message: 'role: Choose admin or viewer' });
		expect(await caught(() => createUser(t.sql, { email: 'a@b.c', role: 'viewer', password: 'short' }, admin))).toMatchObject({ status: 400 });
	});

	it('refuses new passwords under 12 characters or common ones, naming the field (create and reset)', async () => {
		const admin = await seedAdmin();
		for (const password of ['password', 'password1234', 'Password123!', 'qwertyuiop12', 'aaaaaaaaaaaaaaaa']) {
			const err = await caught(() => createUser(t.sql, { email: 'weak@example.com', role: 'viewer', password }, admin));
			expect(err, password).toMatchObject({ status: 400, issues: [{ path: 'password' }] });
			expect(await caught(() => resetPassword(t.sql, admin.id, password, admin)), password).toMatchObject({ status: 400, issues: [{ path: 'password' }] });
		}
		expect(await caught(() => createUser(t.sql, { email: 'weak@example.com', role: 'viewer', password: 'Eleven-char' }, admin))).toMatchObject({
			issues: [{ path: 'password', message: 'Password must be at least 12 characters' }]
		});
		expect(await findUserByEmail(t.sql, 'weak@example.com')).toBeNull();
		expect((await createUser(t.sql, { email: 'strong@example.com', role: 'viewer', password: 'lantern-ocean-tulip-42' }, admin)).user.email).toBe('strong@example.com');
	});

	it('change role with audit, but never the last admin nor oneself', async () => {
		const admin = await seedAdmin();
		const { user: other } = await createUser(t.sql, { email: 'other@example.com', role: 'viewer' }, admin);
		expect((await changeRole(t.sql, { id: other.id, role: 'admin' }, admin)).role).toBe('admin');
		expect(await caught(() => changeRole(t.sql, { id: admin.id, role: 'viewer' }, admin))).toMatchObject({ status: 400, code: 'self' });
		const otherActor = actorOf(other);
		expect((await changeRole(t.sql, { id: admin.id, role: 'viewer' }, otherActor)).role).toBe('viewer');
		// `other` is now the only admin: nobody may demote it.
		expect(await caught(() => changeRole(t.sql, { id: other.id, role: 'viewer' }, { name: 'x@example.com', userId: 'someone-else' }))).toMatchObject({
			status: 409,
			code: 'last_admin'
		});
		const actions = await t.sql`select action, before, after from audit_log where action = 'user.role' order by id`;
		expect(actions.map((a) => [a.before.role, a.after.role])).toEqual([
			['viewer', 'admin'],
			['admin', 'viewer']
		]);
		expect(await caught(() => changeRole(t.sql, { id: 'missing', role: 'viewer' }, admin))).toMatchObject({ status: 404 });
	});

	it('cannot lose their last admin to concurrent demotions', async () => {
		const a = await seedAdmin('a@example.com');
		const b = await seedAdmin('b@example.com');
		const results = await Promise.allSettled([
			changeRole(t.sql, { id: a.id, role: 'viewer' }, b),
			changeRole(t.sql, { id: b.id, role: 'viewer' }, a)
		]);
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
		expect(await scalar(t.sql`select count(*)::int from "user" where role = 'admin'`)).toBe(1);
	});

	it('are deleted with their sessions, but never oneself or the last admin', async () => {
		const admin = await seedAdmin();
		const { user } = await createUser(t.sql, { email: 'gone@example.com', role: 'viewer' }, admin);
		const { token } = await createSession(t.sql, user.id);
		expect((await deleteUser(t.sql, { id: user.id }, admin)).email).toBe('gone@example.com');
		expect(await validateSessionToken(t.sql, token)).toBeNull();
		expect(await caught(() => deleteUser(t.sql, { id: admin.id }, admin))).toMatchObject({ status: 400, code: 'self' });
		expect(await caught(() => deleteUser(t.sql, { id: admin.id }, { name: 'x@example.com', userId: 'x' }))).toMatchObject({ status: 409, code: 'last_admin' });
		const [entry] = await t.sql`select actor, before from audit_log where action = 'user.delete'`;
		expect(entry).toEqual({ actor: 'root@example.com', before: { email: 'gone@example.com', role: 'viewer' } });
	});

	it('reset a password and sign the user out everywhere', async () => {
		const admin = await seedAdmin();
		const { token } = await createSession(t.sql, admin.id);
		await resetPassword(t.sql, admin.id, 'brand-new-password', admin);
		expect(await validateSessionToken(t.sql, token)).toBeNull();
		expect(await verifyPassword((await findUserByEmail(t.sql, 'root@example.com'))!.passwordHash, 'brand-new-password')).toBe(true);
	});
});

describe('presence', () => {
	it('marks a user online at most once a minute, and offline after the timeout', async () => {
		const admin = await seedAdmin();
		const now = Date.now();
		expect(await touchUser(t.sql, admin.id, now)).toBe(true);
		expect(await touchUser(t.sql, admin.id, now + 30_000)).toBe(false);
		const [u] = await t.sql`select status, last_seen_at from "user" where id = ${admin.id}`;
		expect(u!.status).toBe('online');
		expect(u!.last_seen_at).toBeInstanceOf(Date);
		// Another instance (a fresh memo) skips the write too while the last one is recent.
		forgetTouch();
		expect(await touchUser(t.sql, admin.id, now + 31_000)).toBe(false);

		expect(await markUsersOffline(t.sql, 5)).toBe(0);
		await t.sql`update "user" set last_seen_at = now() - interval '6 minutes'`;
		expect(await markUsersOffline(t.sql, 5)).toBe(1);
		expect(await scalar(t.sql`select status from "user"`)).toBe('offline');
		forgetTouch();
		expect(await touchUser(t.sql, admin.id)).toBe(true);
		expect(await scalar(t.sql`select status from "user"`)).toBe('online');
	});
});

describe('first admin at boot', () => {
	it('is created from ADMIN_EMAIL/ADMIN_PASSWORD once, printing nothing', async () => {
		const printed: string[] = [];
		const print = (s: string) => printed.push(s);
		const r = await ensureFirstAdmin(t.sql, { email: 'Boss@Example.com', password: 'boss-password-1', print });
		expect(r).toEqual({ created: true, email: 'boss@example.com', promoted: false, generatedPassword: null });
		expect(await verifyPassword((await findUserByEmail(t.sql, 'boss@example.com'))!.passwordHash, 'boss-password-1')).toBe(true);
		expect(await ensureFirstAdmin(t.sql, { email: 'boss@example.com', password: 'other-password', print })).toEqual({ created: false, reason: 'admin-exists' });
		expect(printed).toEqual([]);
	});

	it('gets a generated password, printed once, without ADMIN_PASSWORD (and a default email without ADMIN_EMAIL)', async () => {
		const printed: string[] = [];
		const r = await ensureFirstAdmin(t.sql, { print: (s) => printed.push(s) });
		expect(r).toMatchObject({ created: true, email: DEFAULT_ADMIN_EMAIL });
		if (!r.created) return;
		expect(printed).toHaveLength(1);
		expect(printed[0]).toContain(r.generatedPassword!);
		expect(printed[0]).toContain(DEFAULT_ADMIN_EMAIL);
		expect(await verifyPassword((await findUserByEmail(t.sql, DEFAULT_ADMIN_EMAIL))!.passwordHash, r.generatedPassword!)).toBe(true);
		await ensureFirstAdmin(t.sql, { print: (s) => printed.push(s) });
		expect(printed).toHaveLength(1);
	});

	it('creates exactly one admin when instances boot together', async () => {
		const results = await Promise.all(Array.from({ length: 4 }, () => ensureFirstAdmin(t.pool(2), { email: 'race@example.com', password: 'race-password', print: () => {} })));
		expect(results.filter((r) => r.created)).toHaveLength(1);
		expect(await scalar(t.sql`select count(*)::int from "user"`)).toBe(1);
	});

	it('promotes an existing viewer with that email instead of failing', async () => {
		const admin = await seedAdmin();
		await createUser(t.sql, { email: 'later@example.com', role: 'viewer', password: 'viewer-password' }, admin);
		await t.sql`delete from "user" where id = ${admin.id}`;
		const r = await ensureFirstAdmin(t.sql, { email: 'later@example.com', print: () => {} });
		expect(r).toEqual({ created: true, email: 'later@example.com', promoted: true, generatedPassword: null });
		expect((await findUserByEmail(t.sql, 'later@example.com'))?.role).toBe('admin');
	});
});

describe('create-admin (CLI)', () => {
	const capture = async (fn: () => Promise<number>) => {
		const chunks: string[] = [];
		const write = process.stdout.write.bind(process.stdout);
		process.stdout.write = ((chunk: string, cb?: () => void) => {
			chunks.push(String(chunk));
			cb?.();
			return true;
		}) as typeof process.stdout.write;
		try {
			return { code: await fn(), out: chunks.join('') };
		} finally {
			process.stdout.write = write;
		}
	};

	it('creates an admin with a generated password printed once', async () => {
		const { code, out } = await capture(() => createAdminCommand(t.sql, 'New@Example.com', {}));
		expect(code).toBe(0);
		const password = /password: (\S+)/.exec(out)![1]!;
		expect(out).toContain('created admin new@example.com');
		expect(out).toContain('shown only this once');
		const user = await findUserByEmail(t.sql, 'new@example.com');
		expect(user?.role).toBe('admin');
		expect(await verifyPassword(user!.passwordHash, password)).toBe(true);
	});

	it('promotes an existing viewer and resets the password from ADMIN_PASSWORD, ending their sessions', async () => {
		const admin = await seedAdmin();
		const { user } = await createUser(t.sql, { email: 'v@example.com', role: 'viewer', password: 'viewer-password' }, admin);
		const { token } = await createSession(t.sql, user.id);
		const { out } = await capture(() => createAdminCommand(t.sql, 'v@example.com', { ADMIN_PASSWORD: 'from-the-env-1' }));
		expect(out).toMatch(/already existed as a viewer: promoted to admin and reset the password/);
		expect(out).toContain('password: from ADMIN_PASSWORD');
		expect(out).not.toContain('from-the-env-1');
		const after = await findUserByEmail(t.sql, 'v@example.com');
		expect(after?.role).toBe('admin');
		expect(await verifyPassword(after!.passwordHash, 'from-the-env-1')).toBe(true);
		expect(await validateSessionToken(t.sql, token)).toBeNull();
	});

	it('refuses an invalid email, or an ADMIN_PASSWORD that is short or common', async () => {
		await expect(createAdminCommand(t.sql, 'nope', {})).rejects.toThrow(/not a valid email address/);
		await expect(createAdminCommand(t.sql, 'a@b.c', { ADMIN_PASSWORD: 'short' })).rejects.toThrow(/ADMIN_PASSWORD must be at least 12 characters/);
		await expect(createAdminCommand(t.sql, 'a@b.c', { ADMIN_PASSWORD: 'password1234' })).rejects.toThrow(/^create-admin: ADMIN_PASSWORD is too easy to guess/);
		expect(await findUserByEmail(t.sql, 'a@b.c')).toBeNull();
	});
});
