/**
 * The egress policy of http jobs against real local HTTP servers, on an app of its own with
 * HTTP_JOB_DENY including 127.0.0.0/8 and ::1/128 (loopback is allowed by default) and
 * HTTP_JOB_ALLOW=127.0.0.2/32: every IP notation of a denied address is refused at creation, and
 * what only resolution or a redirect reveals is refused at connect time. The target server never
 * sees a request.
 */
import { DEFAULT_HTTP_JOB_DENY } from '../../../src/lib/server/egress/policy';
import { CRON_SECRET, QUIET_SCHEDULE, uniqueKey } from '../helpers/api';
import { startServer, type TestServer } from '../helpers/http-server';
import { startOwnApp, type OwnApp } from '../helpers/own-app';
import { expect, test } from '../fixtures';

test.describe.configure({ mode: 'serial' });

let app: OwnApp;
/** What the jobs must not reach: a server on 127.0.0.1. */
let target: TestServer;
/** On 127.0.0.2, which HTTP_JOB_ALLOW exempts: redirects into the denied range. */
let redirector: TestServer;

test.beforeAll(async () => {
	test.setTimeout(120_000);
	target = await startServer({ body: 'internal' });
	redirector = await startServer({ host: '127.0.0.2', redirectTo: () => `http://127.1:${target.port}/after-redirect` });
	app = await startOwnApp({ CRON_SECRET, HTTP_JOB_DENY: `${DEFAULT_HTTP_JOB_DENY},127.0.0.0/8,::1/128`, HTTP_JOB_ALLOW: '127.0.0.2/32' });
});
test.afterAll(async () => {
	await app?.stop();
	await target?.close();
	await redirector?.close();
});

type Execution = { id: number; status: string; errorMessage: string | null; output: string | null };
type Answer = { job: { key: string }; execution: Execution; error: { issues: { path: string; message: string }[] } };

async function call(method: string, path: string, data?: unknown): Promise<{ status: number; body: Answer }> {
	const res = await fetch(`${app.url}${path}`, {
		method,
		headers: { authorization: `Bearer ${CRON_SECRET}`, ...(data ? { 'content-type': 'application/json' } : {}) },
		body: data ? JSON.stringify(data) : undefined
	});
	expect(res.status, `${method} ${path}`).toBeLessThan(500);
	return { status: res.status, body: (await res.json()) as Answer };
}

const createJob = (url: string) => call('POST', '/api/cron/jobs', { key: uniqueKey('egress'), name: 'Egress', type: 'http', schedule: QUIET_SCHEDULE, params: { url } });

/** Creates a job for `url`, runs it, and returns the finished run. */
async function run(url: string): Promise<Execution> {
	const created = await createJob(url);
	expect(created.status, JSON.stringify(created.body)).toBe(201);
	const triggered = await call('POST', `/api/cron/jobs/${created.body.job.key}/trigger`);
	const id = triggered.body.execution.id;
	let execution: Execution | undefined;
	await expect
		.poll(async () => {
			execution = (await call('GET', `/api/cron/executions/${id}`)).body.execution;
			return execution.status;
		}, { timeout: 20_000 })
		.toMatch(/^(succeeded|failed|timed_out)$/);
	return execution!;
}

test('every notation of a denied address is refused at creation with a 400 naming params.url', async () => {
	for (const host of ['127.0.0.1', '127.1', '2130706433', '0x7f000001', '[::ffff:127.0.0.1]', '[::1]']) {
		const r = await createJob(`http://${host}:${target.port}/`);
		expect(r.status, host).toBe(400);
		expect(r.body.error.issues, host).toEqual([{ path: 'params.url', message: expect.stringMatching(/^blocked by HTTP_JOB_DENY \((127\.0\.0\.1|::1)\)$/) }]);
	}
});

test('a name resolving into the denied range fails its run at connect time', async () => {
	const done = await run(`http://localhost:${target.port}/`);
	expect(done.status).toBe('failed');
	expect(done.errorMessage).toMatch(new RegExp(`^GET http://localhost:${target.port}/: blocked by HTTP_JOB_DENY \\((127\\.0\\.0\\.1|::1)\\)$`));
	expect(target.hits()).toBe(0);
});

test('a redirect into the denied range fails the run at that hop', async () => {
	const done = await run(`http://127.0.0.2:${redirector.port}/start`);
	expect(done.status).toBe('failed');
	expect(done.errorMessage).toBe(`GET http://127.0.0.2:${redirector.port}/start: blocked by HTTP_JOB_DENY (127.0.0.1)`);
	expect(redirector.received.map((r) => r.url)).toEqual(['/start']);
	expect(target.hits()).toBe(0);
});

test('an address HTTP_JOB_ALLOW exempts is reached', async () => {
	const allowed = await startServer({ host: '127.0.0.2', body: 'allowed' });
	try {
		const done = await run(allowed.url);
		expect(done.status).toBe('succeeded');
		expect(done.output).toContain('→ 200 OK');
		expect(allowed.hits()).toBe(1);
	} finally {
		await allowed.close();
	}
});
