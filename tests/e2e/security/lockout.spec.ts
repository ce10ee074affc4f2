/**
 * Login throttling cannot be turned into a lockout (README.md#sign-in-throttling), on an app of its
 * own that takes the client address from X-Forwarded-For (ADDRESS_HEADER), so one test can be
 * many clients. The audit's findings: 10 wrong passwords from anywhere locked the only admin out
 * for 15 minutes; 50 from one address locked out everyone behind it.
 */
import { ADMIN } from '../helpers/accounts';
import { startOwnApp, type OwnApp } from '../helpers/own-app';
import { expect, test } from '../fixtures';

test.describe.configure({ mode: 'serial' });

let app: OwnApp;
test.beforeAll(async () => {
	test.setTimeout(120_000);
	app = await startOwnApp({ ADDRESS_HEADER: 'x-forwarded-for', XFF_DEPTH: '1' });
});
test.afterAll(async () => {
	await app?.stop();
});

type Attempt = { status: number; retryAfter: string | null; text: string; cookies: string[] };

/** A sign-in form post from `ip`, carrying `cookie`; `enhanced` as `use:enhance` sends it. */
async function signIn(ip: string, email: string, password: string, opts: { cookie?: string; enhanced?: boolean } = {}): Promise<Attempt> {
	const res = await fetch(`${app.url}/login`, {
		method: 'POST',
		headers: {
			origin: app.url,
			'x-forwarded-for': ip,
			'content-type': 'application/x-www-form-urlencoded',
			...(opts.enhanced ? { accept: 'application/json', 'x-sveltekit-action': 'true' } : { accept: 'text/html' }),
			...(opts.cookie ? { cookie: opts.cookie } : {})
		},
		body: new URLSearchParams({ email, password }),
		redirect: 'manual'
	});
	return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text(), cookies: res.headers.getSetCookie() };
}

const deviceCookie = (a: Attempt) => a.cookies.find((c) => c.startsWith('cronkit_device='))!.split(';')[0]!;

async function createUser(email: string, password: string): Promise<void> {
	const admin = await signIn('10.10.10.10', ADMIN.email, ADMIN.password);
	const session = admin.cookies.find((c) => c.startsWith('cronkit_session='))!.split(';')[0]!;
	const res = await fetch(`${app.url}/admin/users?/create`, {
		method: 'POST',
		headers: { origin: app.url, accept: 'application/json', 'x-sveltekit-action': 'true', 'content-type': 'application/x-www-form-urlencoded', cookie: session },
		body: new URLSearchParams({ email, role: 'viewer', password })
	});
	expect(await res.json()).toMatchObject({ type: 'redirect', status: 303, location: '/admin/users' });
}

test('10 wrong passwords from one address: 429 with Retry-After there (no JavaScript), the owner elsewhere signs in', async () => {
	for (let i = 0; i < 10; i++) expect((await signIn('203.0.113.1', ADMIN.email, `wrong-${i}`)).status).toBe(400);
	const there = await signIn('203.0.113.1', ADMIN.email, ADMIN.password);
	expect(there.status).toBe(429);
	expect(Number(there.retryAfter)).toBeGreaterThan(800);
	expect(Number(there.retryAfter)).toBeLessThanOrEqual(900);
	expect(there.text).toContain('Too many failed sign-in attempts. Try again in 15 minutes.');
	const elsewhere = await signIn('203.0.113.2', ADMIN.email, ADMIN.password);
	expect(elsewhere.status).toBe(303);
});

test('the enhanced form gets the same status in its action result, with Retry-After', async () => {
	const r = await signIn('203.0.113.1', ADMIN.email, ADMIN.password, { enhanced: true });
	// SvelteKit answers an action's failure as HTTP 200 carrying {type: 'failure', status}.
	expect(r.status).toBe(200);
	expect(JSON.parse(r.text)).toMatchObject({ type: 'failure', status: 429 });
	expect(r.text).toContain('Too many failed sign-in attempts');
	expect(Number(r.retryAfter)).toBeGreaterThan(800);
});

test('50 failures from one address close it to unknown devices, never to a browser that signed in before', async () => {
	const known = await signIn('192.0.2.77', ADMIN.email, ADMIN.password);
	expect(known.status).toBe(303);
	const cookie = deviceCookie(known);
	for (let i = 0; i < 50; i++) expect((await signIn('192.0.2.77', `someone-${i}@example.com`, 'guess')).status).toBe(400);
	expect((await signIn('192.0.2.77', ADMIN.email, ADMIN.password)).status).toBe(429);
	expect((await signIn('192.0.2.77', ADMIN.email, ADMIN.password, { cookie })).status).toBe(303);
});

test('20 failures from 20 addresses close an account to unknown devices; its owner’s browser still gets in from anywhere', async () => {
	const victim = { email: 'lockout-victim@example.com', password: 'victim-Passw0rd-5e1c' };
	await createUser(victim.email, victim.password);
	const owner = await signIn('198.51.100.1', victim.email, victim.password);
	expect(owner.status).toBe(303);
	const cookie = deviceCookie(owner);
	for (let i = 0; i < 20; i++) expect((await signIn(`198.51.100.${10 + i}`, victim.email, `spray-${i}`)).status).toBe(400);
	expect((await signIn('198.51.100.200', victim.email, victim.password)).status).toBe(429);
	expect((await signIn('198.51.100.201', victim.email, victim.password, { cookie })).status).toBe(303);
	// A forged device cookie (another nonce under the real signature) counts for nothing.
	const [name, version, , signature] = cookie.split(/[=.]/);
	const forged = `${name}=${version}.${Buffer.from(JSON.stringify({ e: victim.email, n: 'forged-nonce' })).toString('base64url')}.${signature}`;
	expect((await signIn('198.51.100.202', victim.email, victim.password, { cookie: forged })).status).toBe(429);
});
