/**
 * The auth handle: resolves the session cookie into `locals.user` / `locals.sessionId` for
 * every request, re-sends the cookie when its expiry slid forward, clears an invalid one, and
 * marks the user as seen (throttled, off the request's critical path). When the session
 * cannot be looked up (the database is away) the request fails, and `databaseFaults`
 * (unavailable.ts) answers 503: treating it as signed out would send a signed-in admin to
 * /login and make the API answer 401.
 */
import type { Handle, RequestEvent } from '@sveltejs/kit';
import { log } from '../log';
import { isBooted, runtime } from '../runtime';
import { deleteSessionCookie, SESSION_COOKIE, setSessionCookie } from './cookie';
import { touchUser } from './presence';
import { validateSessionToken, type ValidatedSession } from './session';

/**
 * The session of a request's cookie, validated once per request (the API's `requireApiActor`
 * reuses what the handle found). Null when signed out.
 */
export async function sessionOf(event: Pick<RequestEvent, 'cookies'>): Promise<ValidatedSession | null> {
	const token = event.cookies.get(SESSION_COOKIE);
	if (!token || !isBooted()) return null;
	return validateSessionToken(runtime().database.sql, token);
}

export const authHandle: Handle = async ({ event, resolve }) => {
	event.locals.user = null;
	event.locals.sessionId = null;
	if (event.cookies.get(SESSION_COOKIE) !== undefined) {
		const result = await sessionOf(event);
		if (result === null) deleteSessionCookie(event.cookies, event.url);
		if (result) {
			event.locals.user = result.user;
			event.locals.sessionId = result.session.id;
			if (result.refreshed) setSessionCookie(event.cookies, event.url, event.cookies.get(SESSION_COOKIE)!, result.expiresAt);
			touchUser(runtime().database.sql, result.user.id).catch((err: unknown) => log.warn({ err }, 'presence update failed'));
		}
	}
	return resolve(event);
};
