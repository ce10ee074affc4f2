/** /admin/users: list for everyone signed in; create, change role and delete for admins. */
import type { RequestEvent } from '@sveltejs/kit';
import { flashRedirect, type FlashEvent } from '../../flash';
import { actorOf } from '../../audit/actor';
import { iso } from '../../../format/time';
import { formObject, serviceFailure } from '../../forms';
import { requireUser } from '../guard';
import { changeRole, createUser, deleteUser, listUsers } from '../users';

type Admin = NonNullable<App.Locals['user']>;
type ActionEvent = Pick<RequestEvent, 'request'> & FlashEvent;

export async function usersLoad(event: Pick<RequestEvent, 'locals' | 'url'>) {
	const me = requireUser(event);
	const users = await listUsers(event.locals.services.sql);
	return {
		users: users.map((u) => ({ ...u, lastSeenAt: iso(u.lastSeenAt), createdAt: u.createdAt.toISOString() })),
		me: me.id,
		adminCount: users.filter((u) => u.role === 'admin').length
	};
}

/** A refusal as a form failure: its messages are sentences, shown alone; the values refill the form. */
const failure = (action: string, err: unknown, values: Record<string, string>) =>
	serviceFailure(err, { action, message: 'issue', data: { values: { email: values.email ?? '', role: values.role ?? '', id: values.id ?? '' } } });

/** The route calls `requireAdmin` and passes the admin in. */
export const usersActions = {
	async create(event: ActionEvent, admin: Admin) {
		const values = await formObject(event.request);
		let created: Awaited<ReturnType<typeof createUser>>;
		try {
			created = await createUser(event.locals.services.sql, values, actorOf(admin));
		} catch (err) {
			return failure('create', err, values);
		}
		const { user, generatedPassword } = created;
		flashRedirect(event, {
			tone: 'success',
			message: `Added ${user.email} as ${user.role}.`,
			...(generatedPassword ? { secret: { label: 'Their password (pass it on now):', value: generatedPassword, testId: 'generated-password', copy: 'Copy password' } } : {})
		});
	},
	async role(event: ActionEvent, admin: Admin) {
		const values = await formObject(event.request);
		let message: string;
		try {
			const user = await changeRole(event.locals.services.sql, values, actorOf(admin));
			message = `${user.email} is now ${user.role === 'admin' ? 'an admin' : 'a viewer'}.`;
		} catch (err) {
			return failure('role', err, values);
		}
		flashRedirect(event, { tone: 'success', message });
	},
	async delete(event: ActionEvent, admin: Admin) {
		const values = await formObject(event.request);
		let message: string;
		try {
			message = `Deleted ${(await deleteUser(event.locals.services.sql, values, actorOf(admin))).email}.`;
		} catch (err) {
			return failure('delete', err, values);
		}
		flashRedirect(event, { tone: 'success', message });
	}
};
