/**
 * Accounts of the e2e web server. ADMIN_EMAIL/ADMIN_PASSWORD are passed to it by
 * playwright.config.ts (which imports them from here), so the first admin exists at boot.
 */
import { expect, type APIRequestContext } from '@playwright/test';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'e2e-Admin-Passw0rd-7c41b9e2';
/** Password of every viewer the fixtures create. */
export const VIEWER_PASSWORD = 'e2e-Viewer-Passw0rd-3a8f61d0';

export type Account = { email: string; password: string; role: 'admin' | 'viewer' };

export const ADMIN: Account = { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, role: 'admin' };

/** One viewer per Playwright worker slot (stable across worker restarts, unique within a run). */
export const viewerFor = (parallelIndex: number): Account => ({
	email: `viewer-${parallelIndex}@example.com`,
	password: VIEWER_PASSWORD,
	role: 'viewer'
});

/**
 * Headers of a browser's plain (unenhanced) form post: SvelteKit rejects form posts without a
 * same-site Origin, and answers `Accept: *\/*` (Playwright's default) as an enhanced JSON request.
 */
export const formHeaders = (baseURL: string) => ({ origin: new URL(baseURL).origin, accept: 'text/html' });

/**
 * Signs the first admin in to the app at `origin` (one started by the test itself) with a plain
 * form post; returns the Cookie header that carries the session.
 */
export async function adminSessionCookie(origin: string): Promise<string> {
	const login = await fetch(`${origin}/login`, {
		method: 'POST',
		headers: { origin, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
		redirect: 'manual'
	});
	expect(login.status, `login answered ${login.status}`).toBe(303);
	return login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

/** Signs in through the /login form action over HTTP; the session cookie lands in `request`'s cookie jar. */
export async function loginRequest(request: APIRequestContext, baseURL: string, account: Pick<Account, 'email' | 'password'>): Promise<void> {
	const res = await request.post('/login', {
		form: { email: account.email, password: account.password },
		headers: formHeaders(baseURL),
		maxRedirects: 0
	});
	expect(res.status(), `login of ${account.email} answered ${res.status()}: ${await res.text()}`).toBe(303);
}

/**
 * Creates a user through the /admin/users form action with an admin's signed-in `request`.
 * An existing email (409) counts as done: fixtures may run again in a restarted worker.
 */
export async function ensureUser(request: APIRequestContext, baseURL: string, account: Account): Promise<void> {
	const res = await request.post('/admin/users?/create', {
		form: { email: account.email, role: account.role, password: account.password },
		headers: { origin: new URL(baseURL).origin, accept: 'application/json' },
		maxRedirects: 0
	});
	expect(res.status(), await res.text()).toBe(200);
	const body = (await res.json()) as { type: string; status?: number };
	// Created: the action redirects (303) back to the page with its message.
	expect(['redirect', 'failure'], JSON.stringify(body)).toContain(body.type);
	if (body.type === 'failure') expect(body.status, JSON.stringify(body)).toBe(409);
}
