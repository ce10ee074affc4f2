import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { usersActions, usersLoad } from '$lib/server/auth/routes/users';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	requireUser(event);
	return usersLoad(event);
};

export const actions: Actions = {
	create: (event) => {
		requireAdmin(event);
		return usersActions.create(event);
	},
	role: (event) => {
		requireAdmin(event);
		return usersActions.role(event);
	},
	delete: (event) => {
		requireAdmin(event);
		return usersActions.delete(event);
	}
};
