import { logoutAction, logoutLoad } from '$lib/server/auth/routes/logout';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => logoutLoad(event);

export const actions: Actions = { default: (event) => logoutAction(event) };
