/**
 * The colour theme a browser chose (README.md#themes): `light` or `dark` in the `cronkit_theme`
 * cookie, `system` (no cookie) following the operating system's setting. The server writes it
 * into the page's `<html class>` (src/hooks/theme.ts), so the page is drawn in its theme from the
 * first byte with no script (the CSP allows none inline); app.css maps the class, or its absence,
 * to Tailwind's `dark:` variant.
 */
import { error, redirect, type Cookies, type RequestEvent } from '@sveltejs/kit';
import { THEMES, type Theme } from '../names';
import { cookieIsSecure } from './auth/cookie';
import { safeRedirectTo } from './auth/redirect';

export const THEME_COOKIE = 'cronkit_theme';
const ONE_YEAR_S = 365 * 24 * 3600;

export const isTheme = (v: unknown): v is Theme => typeof v === 'string' && (THEMES as readonly string[]).includes(v);

/** The browser's choice; anything unknown counts as `system`. */
export function themeOf(cookies: Pick<Cookies, 'get'>): Theme {
	const v = cookies.get(THEME_COOKIE);
	return v === 'light' || v === 'dark' ? v : 'system';
}

/** Remembers `theme` for a year (`system` deletes the cookie). */
export function rememberTheme(cookies: Cookies, url: URL, theme: Theme): void {
	const options = { path: '/', httpOnly: true, sameSite: 'lax', secure: cookieIsSecure(url) } as const;
	if (theme === 'system') cookies.delete(THEME_COOKIE, options);
	else cookies.set(THEME_COOKIE, theme, { ...options, maxAge: ONE_YEAR_S });
}

/** The page's opening `<html …>` tag with the theme's class (app.html writes `<html lang="en">`). */
export function themedHtml(html: string, theme: Theme): string {
	return theme === 'system' ? html : html.replace('<html lang="en">', `<html lang="en" class="${theme}">`);
}

/**
 * POST /theme: a plain form (`theme`, `redirectTo`) that remembers the choice and answers 303
 * back to the page it was posted from (same-origin paths only), so it works without JavaScript;
 * lib/components/ThemeToggle.svelte posts it in the background when JavaScript runs.
 */
export async function chooseTheme(event: Pick<RequestEvent, 'request' | 'cookies' | 'url'>): Promise<never> {
	const form = await event.request.formData();
	const theme = form.get('theme');
	if (!isTheme(theme)) error(400, { message: `theme: must be one of ${THEMES.join(', ')}`, code: 'invalid_input' });
	rememberTheme(event.cookies, event.url, theme);
	const back = form.get('redirectTo');
	redirect(303, safeRedirectTo(typeof back === 'string' ? back : null, '/', []));
}
