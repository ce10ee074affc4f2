import { loginAction, loginLoad } from '$lib/server/auth/routes/login';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => loginLoad(event);

export const actions: Actions = { default: (event) => loginAction(event) };
