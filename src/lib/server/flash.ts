/**
 * Post/Redirect/Get for every form action: a successful action answers 303 back to its own page
 * (its query kept, the `?/action` part dropped), so a reload never repeats it, and hands its
 * message over in a short-lived cookie that the next load of the admin layout reads and deletes.
 * The cookie is sealed under SECRET_KEY (it may carry a value shown once, like a new access key)
 * and lives 60 s, HttpOnly, SameSite=Strict. With JavaScript, `use:enhance` follows the redirect
 * the same way (the page's loads re-run; the form's state resets to what was saved).
 */
import { redirect, type Cookies, type RequestEvent } from '@sveltejs/kit';
import type { Flash } from '../flash';
import { cookieIsSecure } from './auth/cookie';
import type { SecretBox } from './secrets/box';

export const FLASH_COOKIE = 'cronkit_flash';
const MAX_AGE_S = 60;

export type FlashEvent = Pick<RequestEvent, 'cookies' | 'url' | 'locals'>;

const options = (url: URL) => ({ path: '/', httpOnly: true, sameSite: 'strict', secure: cookieIsSecure(url) }) as const;

/** The page an action was posted to: its path and query without the `/action` keys. */
export function pageOf(url: URL): string {
	const kept = [...url.searchParams].filter(([k]) => !k.startsWith('/'));
	const query = new URLSearchParams(kept).toString();
	return `${url.pathname}${query ? `?${query}` : ''}`;
}

/** Stores `flash` for the next page load and redirects (303) to `to`, by default the action's own page. */
export function flashRedirect(event: FlashEvent, flash: Flash, to: string = pageOf(event.url)): never {
	event.cookies.set(FLASH_COOKIE, event.locals.services.secrets.seal(JSON.stringify(flash)), { ...options(event.url), maxAge: MAX_AGE_S });
	redirect(303, to);
}

/** The pending flash, read once: the cookie is deleted. A cookie that does not open is dropped. */
export function takeFlash(cookies: Cookies, url: URL, secrets: SecretBox): Flash | null {
	const sealed = cookies.get(FLASH_COOKIE);
	if (!sealed) return null;
	cookies.delete(FLASH_COOKIE, options(url));
	try {
		const flash = JSON.parse(secrets.open(sealed)) as Flash;
		return typeof flash?.message === 'string' ? flash : null;
	} catch {
		return null;
	}
}
