/**
 * http jobs end to end on a scheduler and a real local HTTP server: secrets reach the server and
 * nowhere else (job JSON, audit log, run output), network errors name their cause, and the
 * egress policy holds at run time for every IP notation and through redirects.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { finishedRun, instance, testJobTypes, type Instance } from '../../../../tests/helpers/scheduler';
import { DEFAULT_HTTP_JOB_DENY, EgressPolicy } from '../egress/policy';

type Seen = { url: string; headers: http.IncomingHttpHeaders };
type Target = { port: number; seen: Seen[]; close(): Promise<void> };

/** A server on `host` that records requests; `/hop` redirects to `redirectTo`. */
async function target(host: string, redirectTo?: () => string): Promise<Target> {
	const seen: Seen[] = [];
	const server = http.createServer((req, res) => {
		seen.push({ url: req.url ?? '', headers: req.headers });
		if (req.url === '/hop' && redirectTo) {
			res.writeHead(302, { location: redirectTo() }).end();
			return;
		}
		res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
	});
	await new Promise<void>((resolve) => server.listen(0, host, resolve));
	return {
		port: (server.address() as AddressInfo).port,
		seen,
		close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())))
	};
}

const actor = { name: 'admin@example.com' };
const QUIET = '0 0 1 1 *';

describe('http jobs', () => {
	let t: TestDatabase;
	let a: Instance;
	let server: Target;
	beforeAll(async () => {
		t = await createTestDatabase();
		a = instance(t, []);
		await a.scheduler.start();
		server = await target('127.0.0.1');
	});
	afterAll(async () => {
		await a.scheduler.close();
		await server.close();
		await t.drop();
	});

	async function run(key: string) {
		return finishedRun(a.service, (await a.service.trigger(key, 'manual', actor)).id);
	}

	it('sends the decrypted secrets to the server, and shows them nowhere else', async () => {
		const job = await a.service.createJob(
			{
				key: 'with-secrets',
				name: 'With secrets',
				type: 'http',
				schedule: QUIET,
				params: { url: `http://deploy:pw-s3cret@127.0.0.1:${server.port}/hook`, headers: { 'X-Api-Key': 'key-s3cret' } }
			},
			actor
		);
		expect(job.params).toEqual({ url: `http://••••@127.0.0.1:${server.port}/hook`, method: 'GET', headers: { 'X-Api-Key': '••••' }, followRedirects: true });
		const done = await run('with-secrets');
		expect(done.status).toBe('succeeded');
		const request = server.seen.find((s) => s.url === '/hook')!;
		expect(request.headers['x-api-key']).toBe('key-s3cret');
		expect(request.headers.authorization).toBe(`Basic ${Buffer.from('deploy:pw-s3cret').toString('base64')}`);
		expect(done.output).toContain(`GET http://••••@127.0.0.1:${server.port}/hook → 200 OK`);
		const everywhere = JSON.stringify([
			await a.service.listJobs(),
			await a.service.getJob('with-secrets'),
			await t.sql`select * from audit_log`,
			await t.sql`select * from cron_job_execution`,
			await t.sql`select params from cron_job`
		]);
		for (const secret of ['key-s3cret', 'pw-s3cret', 'deploy:']) expect(everywhere).not.toContain(secret);
	});

	it('keeps the secrets when an edit sends the masked values back', async () => {
		const shown = (await a.service.getJob('with-secrets')).params;
		await a.service.updateJob('with-secrets', { params: { ...shown, headers: { ...(shown.headers as object), 'X-Extra': 'plain-new' } } }, actor);
		server.seen.length = 0;
		expect((await run('with-secrets')).status).toBe('succeeded');
		expect(server.seen[0]!.headers).toMatchObject({ 'x-api-key': 'key-s3cret', 'x-extra': 'plain-new' });
		expect(JSON.stringify(await t.sql`select after from audit_log where action = 'job.update'`)).not.toContain('plain-new');
	});

	it.each([
		['a refused connection', 'http://127.0.0.1:9/', 'GET http://127.0.0.1:9/: ECONNREFUSED 127.0.0.1:9'],
		['an unknown host', 'http://no-such-host.invalid/', 'GET http://no-such-host.invalid/: ENOTFOUND no-such-host.invalid']
	])('names the cause of %s instead of "fetch failed"', async (_, url, message) => {
		const key = `net-${message.includes('ENOTFOUND') ? 'notfound' : 'refused'}`;
		await a.service.createJob({ key, name: key, type: 'http', schedule: QUIET, params: { url } }, actor);
		const done = await run(key);
		expect(done).toMatchObject({ status: 'failed', errorMessage: message });
	});
});

describe('egress policy at run time (HTTP_JOB_DENY=127.0.0.0/8, HTTP_JOB_ALLOW=127.0.0.2/32)', () => {
	let t: TestDatabase;
	/** Creates the jobs: its policy allows loopback, so literal notations pass creation. */
	let open: Instance;
	/** Runs them under the strict policy. */
	let strict: Instance;
	let inside: Target;
	let allowed: Target;
	beforeAll(async () => {
		t = await createTestDatabase();
		open = instance(t, []);
		strict = instance(t, [], { types: testJobTypes(EgressPolicy.fromLists(`${DEFAULT_HTTP_JOB_DENY},127.0.0.0/8`, '127.0.0.2/32')) });
		await strict.scheduler.start();
		inside = await target('127.0.0.1');
		allowed = await target('127.0.0.2', () => `http://127.1:${inside.port}/`);
	});
	afterAll(async () => {
		await strict.scheduler.close();
		await Promise.all([inside.close(), allowed.close()]);
		await t.drop();
	});

	async function runOn(key: string, url: string) {
		await open.service.createJob({ key, name: key, type: 'http', schedule: QUIET, params: { url } }, actor);
		return finishedRun(strict.service, (await strict.service.trigger(key, 'manual', actor)).id);
	}

	it.each([
		['127.1', 'dotted short form'],
		['2130706433', 'one decimal number'],
		['0x7f000001', 'hexadecimal'],
		['[::ffff:127.0.0.1]', 'IPv4-mapped IPv6'],
		['localhost', 'a name resolving to loopback']
	])('refuses %s (%s) before connecting', async (host, what) => {
		const done = await runOn(`deny-${what.toLowerCase().replace(/\W+/g, '-')}`, `http://${host}:${inside.port}/`);
		expect(done.status).toBe('failed');
		expect(done.errorMessage).toMatch(/: blocked by HTTP_JOB_DENY \((127\.0\.0\.1|::1)\)$/);
		expect(inside.seen).toEqual([]);
	});

	it('refuses a redirect hop into the denied range', async () => {
		const done = await runOn('deny-redirect', `http://127.0.0.2:${allowed.port}/hop`);
		expect(done.status).toBe('failed');
		expect(done.errorMessage).toBe(`GET http://127.0.0.2:${allowed.port}/hop: blocked by HTTP_JOB_DENY (127.0.0.1)`);
		expect(allowed.seen.map((s) => s.url)).toEqual(['/hop']);
		expect(inside.seen).toEqual([]);
	});

	it('still reaches an address HTTP_JOB_ALLOW exempts', async () => {
		const done = await runOn('allowed', `http://127.0.0.2:${allowed.port}/direct`);
		expect(done.status).toBe('succeeded');
	});

	it('refuses a literal denied address at creation, naming params.url', async () => {
		for (const host of ['127.1', '2130706433', '0x7f000001', '[::ffff:127.0.0.1]']) {
			const err = await strict.service
				.createJob({ key: 'literal', name: 'L', type: 'http', schedule: QUIET, params: { url: `http://${host}:${inside.port}/` } }, actor)
				.catch((e: unknown) => e);
			expect(err, host).toMatchObject({ status: 400, issues: [{ path: 'params.url', message: 'blocked by HTTP_JOB_DENY (127.0.0.1)' }] });
		}
	});
});
