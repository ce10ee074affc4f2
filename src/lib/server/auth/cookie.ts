/**
 * The login session cookie (README, "Admin application"): HttpOnly, SameSite=Lax, Path=/, Secure everywhere but
 * plain-http localhost (browsers would drop a Secure cookie there, breaking local use).
 */
import type { Cookies } from '@sveltejs/kit';

export const SESSION_COOKIE = 'cronkit_session';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function cookieIsSecure(url: URL): boolean {
	return url.protocol === 'https:' || !LOCAL_HOSTS.has(url.hostname);
}

function options(url: URL) {
	return { path: '/', httpOnly: true, sameSite: 'lax', secure: cookieIsSecure(url) } as const;
}

export function setSessionCookie(cookies: Cookies, url: URL, token: string, expiresAt: Date): void {
	cookies.set(SESSION_COOKIE, token, { ...options(url), expires: expiresAt });
}

export function deleteSessionCookie(cookies: Cookies, url: URL): void {
	cookies.delete(SESSION_COOKIE, options(url));
}
