import * as crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServiceError } from '../errors';
import { log } from '../log';
import { authenticateBearer, bearerToken, requireApiActor, secretMatches } from './auth';
import { apiError, handle, MAX_BODY_BYTES, parseJson, readBody, readJson } from './json';
import { positiveId, queryOf } from './route';

vi.mock('node:crypto', async (importOriginal) => {
	const actual = await importOriginal<typeof import('node:crypto')>();
	return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});


const SECRET = 'e2e-secret-0123456789abcdef';

/** Runs `fn`, returning the ServiceError it throws (failing if it throws anything else). */
async function caught(fn: () => unknown): Promise<ServiceError> {
	try {
		await fn();
	} catch (err) {
		expect(err).toBeInstanceOf(ServiceError);
		return err as ServiceError;
	}
	throw new Error('expected a ServiceError');
}

const post = (body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
	new Request('http://localhost/api', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

/** A body of `total` bytes in `chunk`-sized pieces, with no content-length; counts what was read. */
function streamed(total: number, chunk = 64 * 1024) {
	const state = { pulled: 0, cancelled: false };
	const body = new ReadableStream<Uint8Array>({
		pull(controller) {
			if (state.pulled >= total) return controller.close();
			const n = Math.min(chunk, total - state.pulled);
			state.pulled += n;
			controller.enqueue(new Uint8Array(n).fill(0x20));
		},
		cancel() {
			state.cancelled = true;
		}
	});
	return { request: post(body), state };
}

afterEach(() => {
	vi.mocked(crypto.timingSafeEqual).mockClear();
});

describe('bearer auth', () => {
	it('accepts the exact secret as the "api" actor', () => {
		expect(authenticateBearer(`Bearer ${SECRET}`, SECRET)).toEqual({ name: 'api', userId: null });
		expect(authenticateBearer(`bearer   ${SECRET}  `, SECRET).name).toBe('api');
	});

	it.each([
		['missing header', null, /authentication required/],
		['empty header', '', /authentication required/],
		['another scheme', `Basic ${SECRET}`, /expected Bearer/],
		['scheme without token', 'Bearer', /expected Bearer/],
		['wrong secret', 'Bearer nope', /invalid bearer token/],
		['a prefix of the secret', `Bearer ${SECRET.slice(0, -1)}`, /invalid bearer token/],
		['the secret plus more', `Bearer ${SECRET}x`, /invalid bearer token/],
		['different case', `Bearer ${SECRET.toUpperCase()}`, /invalid bearer token/]
	])('refuses %s with 401 unauthorized', async (_, header, message) => {
		const err = await caught(() => authenticateBearer(header, SECRET));
		expect(err.status).toBe(401);
		expect(err.code).toBe('unauthorized');
		expect(err.message).toMatch(message);
	});

	it('refuses every bearer token while CRON_SECRET is unset, saying so', async () => {
		for (const secret of [undefined, '']) {
			const err = await caught(() => authenticateBearer('Bearer anything', secret));
			expect(err.status).toBe(401);
			expect(err.message).toMatch(/CRON_SECRET is not configured/);
		}
	});

	it('compares SHA-256 digests with timingSafeEqual, whatever the lengths', () => {
		const spy = vi.mocked(crypto.timingSafeEqual);
		for (const given of ['x', SECRET, SECRET.repeat(40), '']) {
			spy.mockClear();
			expect(() => secretMatches(given, SECRET)).not.toThrow();
			expect(spy).toHaveBeenCalledTimes(1);
			const [a, b] = spy.mock.calls[0]!;
			expect([a.byteLength, b.byteLength]).toEqual([32, 32]);
		}
		expect(secretMatches(SECRET, SECRET)).toBe(true);
		expect(secretMatches('x', SECRET)).toBe(false);
	});

	it('never compares when no token is given', async () => {
		await caught(() => authenticateBearer(null, SECRET));
		expect(crypto.timingSafeEqual).not.toHaveBeenCalled();
	});

	it('parses the token of a Bearer header only', () => {
		expect(bearerToken('Bearer abc')).toBe('abc');
		expect(bearerToken('BEARER\tabc')).toBe('abc');
		expect(bearerToken('Bearerabc')).toBeNull();
		expect(bearerToken('Token abc')).toBeNull();
		expect(bearerToken(null)).toBeNull();
	});

	it('requireApiActor reads CRON_SECRET from the configuration of the services it is given', async () => {
		const event = (cronSecret: string | undefined, authorization?: string) => ({
			request: new Request('http://localhost/api/cron/jobs', { headers: authorization ? { authorization } : {} }),
			locals: { user: null, sessionId: null, services: { config: { cronSecret } } } as unknown as App.Locals
		});
		expect(requireApiActor(event(SECRET, `Bearer ${SECRET}`)).name).toBe('api');
		expect((await caught(() => requireApiActor(event(SECRET)))).status).toBe(401);
		expect((await caught(() => requireApiActor(event(undefined, `Bearer ${SECRET}`)))).message).toMatch(/not configured/);
	});

});

describe('readJson', () => {
	it('parses a JSON object', async () => {
		expect(await readJson(post(JSON.stringify({ a: 1, b: ['x'] })))).toEqual({ a: 1, b: ['x'] });
	});

	it('accepts a body of exactly the limit', async () => {
		const doc = JSON.stringify({ pad: '' });
		const body = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES - doc.length) });
		expect(body.length).toBe(MAX_BODY_BYTES);
		expect(Object.keys(await readJson(post(body)))).toEqual(['pad']);
	});

	it('refuses by content-length before reading a byte', async () => {
		const { request, state } = streamed(10, 10);
		request.headers.set('content-length', String(MAX_BODY_BYTES + 1));
		const err = await caught(() => readJson(request));
		expect(err.status).toBe(413);
		expect(err.code).toBe('payload_too_large');
		expect(err.toJSON()).toEqual({ error: { code: 'payload_too_large', message: expect.stringMatching(/1048576 bytes/), issues: [] } });
		// drained, so the client gets the response instead of a reset connection
		expect(state.pulled).toBe(10);
	});

	it('refuses a streamed body without content-length as soon as it passes the limit', async () => {
		const { request, state } = streamed(MAX_BODY_BYTES + 1);
		const err = await caught(() => readJson(request));
		expect(err.status).toBe(413);
		expect(state.pulled).toBe(MAX_BODY_BYTES + 1);
	});

	it('refuses a body that lies about its (smaller) content-length', async () => {
		const { request } = streamed(MAX_BODY_BYTES * 2);
		request.headers.set('content-length', '10');
		expect((await caught(() => readJson(request))).status).toBe(413);
	});

	it('drops an endless body after a bounded drain', async () => {
		const { request, state } = streamed(Number.POSITIVE_INFINITY);
		expect((await caught(() => readJson(request))).status).toBe(413);
		expect(state.cancelled).toBe(true);
		expect(state.pulled).toBeLessThan(20 * MAX_BODY_BYTES);
	});

	it('turns a 413 of the stream itself (adapter-node BODY_SIZE_LIMIT) into our 413', async () => {
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.error(Object.assign(new Error('Payload Too Large'), { status: 413 }));
			}
		});
		expect((await caught(() => readBody(post(body)))).code).toBe('payload_too_large');
	});

	it('answers 400 invalid_body when the stream fails otherwise', async () => {
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.error(new Error('aborted'));
			}
		});
		const err = await caught(() => readBody(post(body)));
		expect([err.status, err.code]).toEqual([400, 'invalid_body']);
	});

	it.each([
		['truncated', '{"a": 1'],
		['trailing comma', '{"a": 1,}'],
		['single quotes', "{'a': 1}"],
		['empty', ''],
		['whitespace', '  \n'],
		['not JSON at all', 'hello']
	])('answers 400 invalid_json for %s', async (_, body) => {
		const err = await caught(() => readJson(post(body)));
		expect([err.status, err.code]).toEqual([400, 'invalid_json']);
		expect(err.message).toMatch(/^request body is not valid JSON/);
	});

	it('answers 400 invalid_json for bytes that are not UTF-8', async () => {
		const err = await caught(() => parseJson(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
		expect(err.code).toBe('invalid_json');
		expect(err.message).toMatch(/UTF-8/);
	});

	it('explains a body dropped for lack of a content-type', async () => {
		const request = new Request('http://localhost/api', { method: 'POST', headers: { 'content-length': '7' } });
		expect((await caught(() => readJson(request))).message).toMatch(/content-type: application\/json/);
	});

	it.each([
		['an array', '[1, 2]'],
		['null', 'null'],
		['a number', '3'],
		['a string', '"job"'],
		['a boolean', 'true']
	])('answers 400 invalid_input naming (body) for %s', async (what, body) => {
		const err = await caught(() => readJson(post(body)));
		expect([err.status, err.code]).toEqual([400, 'invalid_input']);
		expect(err.issues).toEqual([{ path: '(body)', message: 'must be a JSON object' }]);
		expect(err.message).toContain(what);
	});
});

describe('API responses', () => {
	it('renders a ServiceError in the API error shape with its status', async () => {
		const res = apiError(new ServiceError(409, 'conflict', 'exists', [{ path: 'key', message: 'already exists' }]));
		expect(res.status).toBe(409);
		expect(await res.json()).toEqual({ error: { code: 'conflict', message: 'exists', issues: [{ path: 'key', message: 'already exists' }] } });
	});

	it('adds WWW-Authenticate to a 401', () => {
		expect(apiError(new ServiceError(401, 'unauthorized', 'no')).headers.get('www-authenticate')).toMatch(/^Bearer/);
	});

	it('answers an unexpected error with a generic 500 and logs it', async () => {
		const spy = vi.spyOn(log, 'error').mockImplementation(() => undefined);
		const res = apiError(new Error('relation "secret_table" does not exist'));
		expect(res.status).toBe(500);
		const text = await res.text();
		expect(text).not.toContain('secret_table');
		expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal server error', issues: [] } });
		expect(spy).toHaveBeenCalledOnce();
		spy.mockRestore();
	});

	it('answers a lost database connection with a 503 database_unavailable, also when it is wrapped', async () => {
		const spy = vi.spyOn(log, 'warn').mockImplementation(() => undefined);
		const lost = Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' });
		for (const err of [lost, new Error('Failed query: select 1', { cause: lost })]) {
			const res = apiError(err);
			expect(res.status).toBe(503);
			expect(res.headers.get('retry-after')).toBe('5');
			expect(await res.json()).toEqual({ error: { code: 'database_unavailable', message: 'the database is unavailable; try again shortly', issues: [] } });
		}
		spy.mockRestore();
	});

	it('handle() marks successes and errors no-store', async () => {
		const event = { request: new Request('http://localhost/x'), url: new URL('http://localhost/x') };
		const ok = await handle(async () => new Response('{}'))(event);
		const bad = await handle(async () => {
			throw new ServiceError(404, 'not_found', 'job "x" not found');
		})(event);
		expect(ok.headers.get('cache-control')).toBe('no-store');
		expect(bad.status).toBe(404);
		expect(bad.headers.get('cache-control')).toBe('no-store');
	});
});

describe('path and query parameters', () => {
	it('accepts positive integer ids', () => {
		expect(positiveId('1')).toBe(1);
		expect(positiveId('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
	});

	it.each(['0', '-1', '1.5', 'abc', '1e3', ' 1', '0x10', '01', '9007199254740993'])('refuses id %j with a 400 naming id', async (raw) => {
		const err = await caught(() => positiveId(raw));
		expect(err.status).toBe(400);
		expect(err.issues[0]!.path).toBe('id');
	});

	it('drops empty query values', () => {
		expect(queryOf(new URL('http://x/?status=&trigger=api&limit=5'))).toEqual({ trigger: 'api', limit: '5' });
	});
});

type User = NonNullable<App.Locals['user']>;
const admin: User = { id: 'u1', email: 'admin@example.com', role: 'admin' };
const viewer: User = { id: 'u2', email: 'viewer@example.com', role: 'viewer' };

/** A request to `path` by a signed-in `user` (cookie authentication: no Authorization header). */
function signedIn(path: string, user: User, method = 'GET', headers: Record<string, string> = {}) {
	const url = new URL(`http://localhost${path}`);
	return { url, request: new Request(url, { method, headers }), locals: { user, sessionId: 's' } as App.Locals };
}

describe('requireApiActor with a login session', () => {
	it('accepts admins for anything, as their email', () => {
		expect(requireApiActor(signedIn('/api/cron/jobs', admin))).toEqual({ name: 'admin@example.com', userId: 'u1' });
		expect(requireApiActor(signedIn('/api/cron/jobs', admin, 'POST', { origin: 'http://localhost' })).name).toBe('admin@example.com');
	});

	it('lets viewers read only', async () => {
		expect(requireApiActor(signedIn('/api/cron/jobs', viewer)).name).toBe('viewer@example.com');
		for (const method of ['POST', 'PATCH', 'DELETE', 'PUT']) {
			// caught() fails unless it is a ServiceError
			expect(await caught(() => requireApiActor(signedIn('/api/cron/jobs/x', viewer, method)))).toMatchObject({ status: 403, code: 'forbidden' });
		}
	});

	it('refuses cookie-authenticated writes from a foreign origin', async () => {
		const err = await caught(() => requireApiActor(signedIn('/api/cron/jobs', admin, 'POST', { origin: 'https://evil.example' })));
		expect(err).toMatchObject({ status: 403, code: 'forbidden' });
	});
});
