/**
 * Baseline security headers on every response: the `securityHeaders` hook sets them on what
 * SvelteKit answers, the heartbeat fast path on its own answers, and scripts/server.js (which
 * reads them through `publishSecurityHeaders`) on static files too. Pages get SvelteKit's full
 * Content-Security-Policy (svelte.config.js) in place of the fallback here.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'same-origin',
	'x-frame-options': 'DENY',
	'content-security-policy': "frame-ancestors 'none'"
};

/** Where scripts/server.js finds the headers: it loads the app's bundle, not this module. */
const HEADERS_KEY = Symbol.for('cronkit.securityHeaders');

export function publishSecurityHeaders(): void {
	(globalThis as Record<symbol, unknown>)[HEADERS_KEY] = SECURITY_HEADERS;
}

/**
 * The headers for a response SvelteKit made: the baseline (keeping a page's own CSP), and
 * `Cache-Control: no-store` on what a signed-in user receives, so no shared cache or back button
 * keeps authenticated pages.
 */
export function applySecurityHeaders(headers: Headers, signedIn: boolean): void {
	for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
		if (name === 'content-security-policy' && headers.has(name)) continue;
		headers.set(name, value);
	}
	if (signedIn) headers.set('cache-control', 'no-store');
}
