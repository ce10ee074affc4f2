/**
 * Defense in depth for everything under the `(admin)` route group, before any load or action
 * runs. Layout guards alone are not enough in SvelteKit: a client-side navigation's
 * `__data.json` request may skip an unchanged layout's load, and actions run before loads.
 * So: signed-out requests go to /login; viewers may not POST (every admin-page action is a
 * change), except to their own account's page (their own password). Each load and action still
 * checks for itself (tests/routes/route-guard.test.ts).
 */
import { error, redirect, type Handle } from '@sveltejs/kit';

export const ADMIN_GROUP = '/(admin)';
const READS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
/** Routes whose actions change only the signed-in user's own account: viewers may post to them. */
const SELF_SERVICE: ReadonlySet<string> = new Set(['/(admin)/admin/account']);

/** The group's routes, and any other path under /admin (a 404 there must not tell strangers what exists). */
export function isAdminRequest(event: { route: { id: string | null }; url: URL }): boolean {
	const p = event.url.pathname;
	return event.route.id?.startsWith(ADMIN_GROUP) === true || p === '/admin' || p.startsWith('/admin/');
}

export const adminGate: Handle = async ({ event, resolve }) => {
	if (isAdminRequest(event)) {
		const user = event.locals.user;
		if (!user) {
			// The page the visitor wanted (not its __data.json), to come back to after signing in.
			const path = event.url.pathname.replace(/\/__data\.json$/, '') || '/';
			redirect(303, `/login?redirectTo=${encodeURIComponent(path + event.url.search)}`);
		}
		if (!READS.has(event.request.method) && user.role !== 'admin' && !SELF_SERVICE.has(event.route.id ?? '')) {
			error(403, { message: 'Only admins can do this', code: 'forbidden' });
		}
	}
	return resolve(event);
};
