import { requireUser } from '$lib/server/auth/guard';
import { changePasswordAction } from '$lib/server/auth/routes/account';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	requireUser(event);
	return {};
};

export const actions: Actions = {
	password: (event) => changePasswordAction(event, requireUser(event))
};
