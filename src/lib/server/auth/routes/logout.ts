/** /logout: a POST action only (a GET must never sign anyone out: links can be forged). */
import { redirect, type RequestEvent } from '@sveltejs/kit';
import { deleteSessionCookie } from '../cookie';
import { invalidateSession } from '../session';

export function logoutLoad(event: Pick<RequestEvent, 'locals'>) {
	redirect(303, event.locals.user ? '/admin' : '/login');
}

export async function logoutAction(event: RequestEvent) {
	if (event.locals.sessionId) await invalidateSession(event.locals.services.sql, event.locals.sessionId);
	deleteSessionCookie(event.cookies, event.url);
	redirect(303, '/login');
}
