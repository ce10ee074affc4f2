import { isHttpError, isRedirect, type RequestEvent } from '@sveltejs/kit';
import { describe, expect, it, vi } from 'vitest';
import { adminGate } from './admin-gate';

type User = NonNullable<App.Locals['user']>;
const admin: User = { id: 'u1', email: 'admin@example.com', role: 'admin' };
const viewer: User = { id: 'u2', email: 'viewer@example.com', role: 'viewer' };

function event(path: string, routeId: string | null, user: User | null, method = 'GET', headers: Record<string, string> = {}) {
	const url = new URL(`http://localhost${path}`);
	return {
		url,
		route: { id: routeId },
		request: new Request(url, { method, headers }),
		locals: { user, sessionId: user ? 's' : null },
		cookies: {}
	} as unknown as RequestEvent;
}

async function outcome(fn: () => unknown): Promise<unknown> {
	try {
		return await fn();
	} catch (err) {
		return err;
	}
}

describe('adminGate', () => {
	const resolve = vi.fn(async () => new Response('ok'));

	it('sends signed-out visitors of the admin group to /login, coming back afterwards', async () => {
		const err = await outcome(() => adminGate({ event: event('/admin/cron?status=failed', '/(admin)/admin/cron', null), resolve }));
		expect(isRedirect(err) && err.location).toBe('/login?redirectTo=%2Fadmin%2Fcron%3Fstatus%3Dfailed');
		const data = await outcome(() => adminGate({ event: event('/admin/cron/__data.json', '/(admin)/admin/cron', null), resolve }));
		expect(isRedirect(data) && data.location).toBe('/login?redirectTo=%2Fadmin%2Fcron');
		// Unknown paths under /admin too: strangers learn nothing about what exists.
		const unknown = await outcome(() => adminGate({ event: event('/admin/nope', null, null), resolve }));
		expect(isRedirect(unknown) && unknown.location).toBe('/login?redirectTo=%2Fadmin%2Fnope');
		expect(await outcome(() => adminGate({ event: event('/administrator', null, null), resolve }))).toBeInstanceOf(Response);
	});

	it('refuses viewers any non-GET request in the admin group', async () => {
		const err = await outcome(() => adminGate({ event: event('/admin/users?/create', '/(admin)/admin/users', viewer, 'POST'), resolve }));
		expect(isHttpError(err) && err.status).toBe(403);
		expect(await outcome(() => adminGate({ event: event('/admin/users', '/(admin)/admin/users', viewer), resolve }))).toBeInstanceOf(Response);
		expect(await outcome(() => adminGate({ event: event('/admin/users?/create', '/(admin)/admin/users', admin, 'POST'), resolve }))).toBeInstanceOf(Response);
	});

	it("lets viewers post to their own account's page only", async () => {
		expect(await outcome(() => adminGate({ event: event('/admin/account?/password', '/(admin)/admin/account', viewer, 'POST'), resolve }))).toBeInstanceOf(Response);
		// The path alone does not count: an unknown route under it is still refused.
		const err = await outcome(() => adminGate({ event: event('/admin/account/x?/password', null, viewer, 'POST'), resolve }));
		expect(isHttpError(err) && err.status).toBe(403);
	});

	it('leaves other routes alone', async () => {
		expect(await outcome(() => adminGate({ event: event('/login', '/login', null, 'POST'), resolve }))).toBeInstanceOf(Response);
		expect(await outcome(() => adminGate({ event: event('/nope', null, null), resolve }))).toBeInstanceOf(Response);
	});
});
