/**
 * Role checks for loads, actions and endpoints: every route checks on the server, and
 * tests/routes/route-guard.test.ts proves each one calls them. The auth handle (src/hooks/auth.ts)
 * fills `locals.user`; these read it.
 */
import { error, redirect, type RequestEvent } from '@sveltejs/kit';

type Guarded = Pick<RequestEvent, 'locals' | 'url'>;

/** Any signed-in user (admin or viewer); signed-out visitors go to /login and come back. */
export function requireUser(event: Guarded): NonNullable<App.Locals['user']> {
	const user = event.locals.user;
	if (!user) redirect(303, `/login?redirectTo=${encodeURIComponent(event.url.pathname + event.url.search)}`);
	return user;
}

/** Admins only: viewers read, admins write. */
export function requireAdmin(event: Guarded): NonNullable<App.Locals['user']> {
	const user = requireUser(event);
	if (user.role !== 'admin') error(403, { message: 'Only admins can do this', code: 'forbidden' });
	return user;
}
