/** /admin/users: list for everyone signed in; create, change role and delete for admins. */
import { fail, type RequestEvent } from '@sveltejs/kit';
import { ServiceError } from '../../errors';
import { runtime } from '../../runtime';
import { requireAdmin, requireUser } from '../guard';
import { changeRole, createUser, deleteUser, listUsers, type UserActor } from '../users';

export async function usersLoad(event: Pick<RequestEvent, 'locals' | 'url'>) {
	const me = requireUser(event);
	const users = await listUsers(runtime().database.sql);
	return {
		users: users.map((u) => ({ ...u, lastSeenAt: u.lastSeenAt?.toISOString() ?? null, createdAt: u.createdAt.toISOString() })),
		me: me.id,
		canEdit: me.role === 'admin',
		adminCount: users.filter((u) => u.role === 'admin').length
	};
}

type ActionName = 'create' | 'role' | 'delete';

async function formObject(request: Request): Promise<Record<string, string>> {
	const out: Record<string, string> = {};
	for (const [k, v] of await request.formData()) if (typeof v === 'string') out[k] = v;
	return out;
}

/** A ServiceError as a form failure naming the action, its message and its fields' errors. */
function failure(action: ActionName, err: unknown, values: Record<string, string>) {
	if (!(err instanceof ServiceError)) throw err;
	const errors: Record<string, string> = {};
	for (const issue of err.issues) errors[issue.path] ??= issue.message;
	const message = err.issues.length ? Object.values(errors)[0]! : err.message;
	return fail(err.status, { action, message, errors, values: { email: values.email ?? '', role: values.role ?? '', id: values.id ?? '' } });
}

function actorOf(event: Pick<RequestEvent, 'locals' | 'url'>): UserActor {
	const admin = requireAdmin(event);
	return { id: admin.id, email: admin.email };
}

export const usersActions = {
	create: async (event: RequestEvent) => {
		const actor = actorOf(event);
		const values = await formObject(event.request);
		try {
			const { user, generatedPassword } = await createUser(runtime().database.sql, values, actor);
			return { action: 'create' as const, message: `Added ${user.email} as ${user.role}.`, email: user.email, generatedPassword };
		} catch (err) {
			return failure('create', err, values);
		}
	},
	role: async (event: RequestEvent) => {
		const actor = actorOf(event);
		const values = await formObject(event.request);
		try {
			const user = await changeRole(runtime().database.sql, values, actor);
			return { action: 'role' as const, message: `${user.email} is now ${user.role === 'admin' ? 'an admin' : 'a viewer'}.` };
		} catch (err) {
			return failure('role', err, values);
		}
	},
	delete: async (event: RequestEvent) => {
		const actor = actorOf(event);
		const values = await formObject(event.request);
		try {
			const user = await deleteUser(runtime().database.sql, values, actor);
			return { action: 'delete' as const, message: `Deleted ${user.email}.` };
		} catch (err) {
			return failure('delete', err, values);
		}
	}
};
