/**
 * Where to go after signing in. Only same-origin paths are followed: anything else (absolute
 * URLs, `//host`, `/\host`, paths whose dot segments resolve to `//host`, control characters)
 * would make /login an open redirect.
 */
export const DEFAULT_AFTER_LOGIN = '/admin/cron';

/** Pages never gone back to after signing in (a loop, or a sign-out). */
const AUTH_PAGES = ['/login', '/logout'];

/** `raw` when it is a same-origin path (and not one of `refused`), else `fallback`. */
export function safeRedirectTo(raw: string | null | undefined, fallback = DEFAULT_AFTER_LOGIN, refused: readonly string[] = AUTH_PAGES): string {
	if (!raw || raw.length > 2048) return fallback;
	if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return fallback;
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f\u007f\\]/.test(raw)) return fallback;
	try {
		// Resolve against a dummy origin: the result must stay on it.
		const url = new URL(raw, 'http://cronkit.invalid');
		if (url.origin !== 'http://cronkit.invalid') return fallback;
		// Dot segments resolve away: `/.//evil.example` and `/%2e%2e//x` become `//host`, which a
		// browser reads as another site. The path we answer with must not start so.
		if (url.pathname.startsWith('//')) return fallback;
		if (refused.includes(url.pathname)) return fallback;
		return url.pathname + url.search + url.hash;
	} catch {
		return fallback;
	}
}
