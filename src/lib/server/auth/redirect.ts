/**
 * Where to go after signing in. Only same-origin paths are followed: anything else (absolute
 * URLs, `//host`, `/\host`, paths whose dot segments resolve to `//host`, control characters)
 * would make /login an open redirect.
 */
export const DEFAULT_AFTER_LOGIN = '/admin/cron';

export function safeRedirectTo(raw: string | null | undefined, fallback = DEFAULT_AFTER_LOGIN): string {
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
		if (url.pathname === '/login' || url.pathname === '/logout') return fallback;
		return url.pathname + url.search + url.hash;
	} catch {
		return fallback;
	}
}
