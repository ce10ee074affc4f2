import { requireUser } from '$lib/server/auth/guard';
import { adminLayoutLoad } from '$lib/server/auth/routes/admin-layout';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = (event) => {
	requireUser(event);
	return adminLayoutLoad(event);
};
