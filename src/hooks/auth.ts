/**
 * The auth handle: resolves the session cookie into `locals.user` / `locals.sessionId` for
 * every request, re-sends the cookie when its expiry slid forward, clears an invalid one, and
 * marks the user as seen (throttled, off the request's critical path). When the session
 * cannot be looked up (the database is away) the request fails, and the `databaseFaults`
 * handle answers 503: treating it as signed out would send a signed-in admin to /login and
 * make the API answer 401.
 */
import type { Handle } from '@sveltejs/kit';
import { deleteSessionCookie, SESSION_COOKIE, setSessionCookie } from '$lib/server/auth/cookie';
import { touchUser } from '$lib/server/auth/presence';
import { validateSessionToken } from '$lib/server/auth/session';
import { log } from '$lib/server/log';

export const authHandle: Handle = async ({ event, resolve }) => {
	event.locals.user = null;
	event.locals.sessionId = null;
	const token = event.cookies.get(SESSION_COOKIE);
	if (token !== undefined) {
		const { sql } = event.locals.services;
		const result = token ? await validateSessionToken(sql, token) : null;
		if (result === null) deleteSessionCookie(event.cookies, event.url);
		if (result) {
			event.locals.user = result.user;
			event.locals.sessionId = result.session.id;
			if (result.refreshed) setSessionCookie(event.cookies, event.url, token, result.expiresAt);
			touchUser(sql, result.user.id).catch((err: unknown) => log.warn({ err }, 'presence update failed'));
		}
	}
	return resolve(event);
};
