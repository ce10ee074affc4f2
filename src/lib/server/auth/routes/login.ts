/** /login: the page's load and form action (the route file stays thin). */
import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import { setSessionCookie } from '../cookie';
import { readDeviceCookie, setDeviceCookie } from '../device-cookie';
import { login } from '../login';
import { forgetTouch } from '../presence';
import { safeRedirectTo } from '../redirect';
import { invalidateSession } from '../session';

export async function loginLoad(event: Pick<RequestEvent, 'locals' | 'url'>) {
	const target = safeRedirectTo(event.url.searchParams.get('redirectTo'));
	if (event.locals.user) redirect(303, target);
	// Signing in needs the database: while it is away, say so now (a 503 page, see
	// unavailable.ts) rather than after the password is typed.
	await event.locals.services.sql`select 1`;
	return { theme: event.locals.theme };
}

/** adapter-node gives the socket's peer (or ADDRESS_HEADER's value behind a proxy). */
function clientIp(event: Pick<RequestEvent, 'getClientAddress'>): string {
	try {
		return event.getClientAddress();
	} catch {
		return 'unknown';
	}
}

/**
 * The sign-in form. Throttled: HTTP 429 with Retry-After and the page's message without
 * JavaScript; with it, SvelteKit's action result `{type: 'failure', status: 429}` (an HTTP 200
 * carrying Retry-After too). Success starts a new session, ends the one this browser's cookie
 * carried (the account's other devices keep theirs), and marks the browser as a known device.
 */
export async function loginAction(event: RequestEvent) {
	const form = await event.request.formData();
	const email = form.get('email');
	const { secrets, sql } = event.locals.services;
	const device = readDeviceCookie(event.cookies, secrets);
	const result = await login(sql, { email, password: form.get('password'), ip: clientIp(event), device });
	const shownEmail = typeof email === 'string' ? email.slice(0, 254) : '';
	if (!result.ok) {
		if (result.reason === 'throttled') {
			event.setHeaders({ 'retry-after': String(result.retryAfterSeconds) });
			return fail(429, { email: shownEmail, message: result.message, fields: {} as Record<string, string> });
		}
		return fail(400, { email: shownEmail, message: result.message, fields: result.fields });
	}
	if (event.locals.sessionId) await invalidateSession(sql, event.locals.sessionId);
	setSessionCookie(event.cookies, event.url, result.token, result.expiresAt);
	setDeviceCookie(event.cookies, event.url, secrets, result.user.email);
	forgetTouch(result.user.id);
	redirect(303, safeRedirectTo(event.url.searchParams.get('redirectTo')));
}
