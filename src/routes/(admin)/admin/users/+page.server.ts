import { requireAdmin, requireUser } from '$lib/server/auth/guard';
import { usersActions, usersLoad } from '$lib/server/auth/routes/users';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	requireUser(event);
	return usersLoad(event);
};

export const actions: Actions = {
	create: (event) => usersActions.create(event, requireAdmin(event)),
	role: (event) => usersActions.role(event, requireAdmin(event)),
	delete: (event) => usersActions.delete(event, requireAdmin(event))
};
