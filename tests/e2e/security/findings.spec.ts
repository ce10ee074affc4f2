/**
 * The security audit's findings, one case each, with the requests the audit made against the
 * running app (README.md#security says what holds). Findings that need a configuration of their
 * own run on an app of their own: egress.spec.ts (HTTP_JOB_DENY), lockout.spec.ts (many client
 * addresses), fuzz.spec.ts (every endpoint and form action).
 */
import { ADMIN, ADMIN_PASSWORD, formHeaders } from '../helpers/accounts';
import { CRON_SECRET, expectApiError, QUIET_SCHEDULE, uniqueKey } from '../helpers/api';
import { startServer } from '../helpers/http-server';
import { stalledRequest } from '../helpers/raw-http';
import { metricsProblems } from '../../helpers/metrics-lint';
import { AdminShell } from '../pages/admin-shell';
import { CronJobPage } from '../pages/cron-job';
import { expect, test } from '../admin/cron-test';

const MASK = '••••';
const enc = encodeURIComponent;
/** An enhanced form post (what `use:enhance` sends): the answer is SvelteKit's JSON action result. */
const enhanced = (baseURL: string) => ({ origin: new URL(baseURL).origin, accept: 'application/json', 'x-sveltekit-action': 'true' });

test.describe('critical: ${NAME} is never read for what is submitted', () => {
	test('a viewer’s schedule preview (API and admin page) does not echo CRON_SECRET or ADMIN_PASSWORD', async ({ viewerPage }) => {
		const cases: [string, string][] = [
			[`/api/cron/schedule/preview?expr=${enc('@${CRON_SECRET}')}`, CRON_SECRET],
			[`/api/cron/schedule/preview?expr=${enc('${ADMIN_PASSWORD} * * * *')}`, ADMIN_PASSWORD],
			[`/admin/schedule-preview?expr=${enc('@${CRON_SECRET}')}`, CRON_SECRET],
			[`/admin/schedule-preview?expr=${enc('${ADMIN_PASSWORD} * * * *')}`, ADMIN_PASSWORD]
		];
		for (const [path, secret] of cases) {
			const res = await viewerPage.request.get(path);
			const text = await res.text();
			expect(res.status(), path).toBe(200);
			expect(text, path).not.toContain(secret);
			expect(JSON.parse(text), path).toMatchObject({ valid: false, field: 'schedule', error: expect.stringContaining('must not contain "$"') });
		}
	});

	test('job create, PATCH and the edit form refuse ${NAME}, naming schedule, without the value', async ({ api, adminPage, baseURL }) => {
		const created = await api.post('/api/cron/jobs', {
			data: { key: uniqueKey('leak'), name: 'Leak', type: 'http', schedule: '@${CRON_SECRET}', params: { url: 'http://127.0.0.1:9/' } }
		});
		expect(await created.text()).not.toContain(CRON_SECRET);
		await expectApiError(created, 400, 'invalid_input', 'schedule');

		const job = await api.createHttpJob('http://127.0.0.1:9/');
		const patched = await api.patch(`/api/cron/jobs/${job.key}`, { data: { schedule: '${CRON_SECRET} * * * *' } });
		expect(await patched.text()).not.toContain(CRON_SECRET);
		await expectApiError(patched, 400, 'invalid_input', 'schedule');

		const saved = await adminPage.request.post(`/admin/cron/${job.key}?/save`, {
			form: { name: 'Leak', schedule: '@${CRON_SECRET}', url: 'http://127.0.0.1:9/', method: 'GET', timeoutMs: '1000', maxRetries: '0', overlap: 'forbid', catchUp: 'once', catchUpMaxAgeMs: '1000' },
			headers: enhanced(baseURL!)
		});
		const text = await saved.text();
		expect(text).not.toContain(CRON_SECRET);
		expect(JSON.parse(text)).toMatchObject({ type: 'failure', status: 400 });
		expect(text).toContain('must not contain');
	});
});

test.describe('high: http-job secrets are write-only', () => {
	test('no API answer, list, page, audit entry or run output shows them; runs still send them', async ({ api, viewerPage, adminPage }) => {
		const target = await startServer();
		try {
			const secrets = ['tok-e2e-8c1f', 'key-e2e-52ab', 'custom-e2e-93d0', 'pw-e2e-77aa'];
			const key = uniqueKey('secrets');
			const res = await api.post('/api/cron/jobs', {
				data: {
					key,
					name: 'Secrets',
					type: 'http',
					schedule: QUIET_SCHEDULE,
					params: {
						url: `http://deploy:pw-e2e-77aa@127.0.0.1:${target.port}/hook`,
						headers: { Authorization: 'Bearer tok-e2e-8c1f', 'X-Api-Key': 'key-e2e-52ab', 'X-Custom': 'custom-e2e-93d0' }
					}
				}
			});
			expect(res.status(), await res.text()).toBe(201);
			const { job } = await res.json();
			expect(job.params).toMatchObject({ url: `http://${MASK}@127.0.0.1:${target.port}/hook`, headers: { Authorization: MASK, 'X-Api-Key': MASK, 'X-Custom': MASK } });

			const id = await api.trigger(key);
			expect((await api.waitForStatus(id, ['succeeded', 'failed'])).status).toBe('succeeded');
			expect(target.received[0]!.headers).toMatchObject({ authorization: 'Bearer tok-e2e-8c1f', 'x-api-key': 'key-e2e-52ab', 'x-custom': 'custom-e2e-93d0' });

			const paths = [
				`/api/cron/jobs/${key}`,
				'/api/cron/jobs',
				`/api/cron/executions/${id}`,
				'/admin/audit',
				'/admin/audit/__data.json?x-sveltekit-invalidated=01',
				`/admin/cron/${key}`,
				`/admin/cron/${key}/__data.json?x-sveltekit-invalidated=001`,
				`/admin/cron/${key}/executions/${id}`
			];
			for (const page of [viewerPage, adminPage]) {
				for (const path of paths) {
					const r = await page.request.get(path);
					expect(r.status(), path).toBe(200);
					const text = await r.text();
					for (const s of secrets) expect(text, `${path} shows ${s}`).not.toContain(s);
				}
			}
			await viewerPage.goto(`/admin/audit?entity=cron_job&entityId=${key}`);
			await expect(viewerPage.getByText(`"X-Api-Key":"${MASK}"`).first()).toBeVisible();

			// An edit that sends the masked values back keeps them.
			const patched = await api.patch(`/api/cron/jobs/${key}`, { data: { params: { ...job.params, headers: { ...job.params.headers, 'X-Custom': 'custom-new' } } } });
			expect(patched.status(), await patched.text()).toBe(200);
			await api.waitForStatus(await api.trigger(key), ['succeeded']);
			expect(target.received[1]!.headers).toMatchObject({ authorization: 'Bearer tok-e2e-8c1f', 'x-api-key': 'key-e2e-52ab', 'x-custom': 'custom-new' });
		} finally {
			await target.close();
		}
	});
});

test.describe('medium: open redirect after login', () => {
	const targets = ['/.//evil.example', '/..//x', '/%2e%2e//x'];
	const sameOrigin = (location: string | undefined, baseURL: string) => {
		expect(location).toBeDefined();
		expect(location!.startsWith('//')).toBe(false);
		expect(new URL(location!, baseURL).origin).toBe(new URL(baseURL).origin);
	};

	test('POST /login?redirectTo=%2F.%2F%2Fevil.example (and /..//x, /%2e%2e//x) stays on this site', async ({ request, baseURL }) => {
		const queries = ['redirectTo=%2F.%2F%2Fevil.example', ...targets.map((t) => new URLSearchParams({ redirectTo: t }).toString()), 'redirectTo=/%2e%2e//x'];
		for (const query of queries) {
			const res = await request.post(`/login?${query}`, { form: { email: ADMIN.email, password: ADMIN.password }, headers: formHeaders(baseURL!), maxRedirects: 0 });
			expect(res.status(), query).toBe(303);
			sameOrigin(res.headers().location, baseURL!);
		}
	});

	test('a GET of /login while signed in stays on this site too', async ({ adminPage, baseURL }) => {
		for (const target of targets) {
			const res = await adminPage.request.get(`/login?${new URLSearchParams({ redirectTo: target })}`, { maxRedirects: 0 });
			expect(res.status(), target).toBe(303);
			sameOrigin(res.headers().location, baseURL!);
		}
	});
});

test.describe('medium: SSRF and http params that can never work', () => {
	test('a literal denied address is refused at creation, naming params.url', async ({ api }) => {
		for (const [url, address] of [
			['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
			['http://[fd00:ec2::254]/', 'fd00:ec2::254'],
			['http://100.100.100.200/', '100.100.100.200'],
			['http://0.0.0.0:8080/', '0.0.0.0'],
			['http://2852039166/', '169.254.169.254']
		]) {
			const res = await api.post('/api/cron/jobs', { data: { key: uniqueKey('ssrf'), name: 'S', type: 'http', schedule: QUIET_SCHEDULE, params: { url } } });
			const error = await expectApiError(res, 400, 'invalid_input', 'params.url');
			expect(error.issues).toEqual([{ path: 'params.url', message: `blocked by HTTP_JOB_DENY (${address})` }]);
		}
	});

	test('CRLF in a header value, a header name with a space, and user:pass@ in errors', async ({ api }) => {
		const create = (params: Record<string, unknown>) => api.post('/api/cron/jobs', { data: { key: uniqueKey('never'), name: 'N', type: 'http', schedule: QUIET_SCHEDULE, params } });
		await expectApiError(await create({ url: 'http://127.0.0.1:9/', headers: { 'X-Key': 'v\r\nX-Injected: 1' } }), 400, 'invalid_input', 'params.headers.X-Key');
		await expectApiError(await create({ url: 'http://127.0.0.1:9/', headers: { 'X Key': 'v' } }), 400, 'invalid_input', 'params.headers.X Key');
		const res = await create({ url: 'ftp://admin:hunter2-e2e@files.example/' });
		expect(await res.text()).not.toContain('hunter2-e2e');
		await expectApiError(res, 400, 'invalid_input', 'params.url');
	});
});

test.describe('low: never a 500 for input', () => {
	test('NUL in the heartbeat ({"sessionId":"a\\u0000"}), a job path, query strings and JSON fields: 400 naming the field', async ({ api, request }) => {
		const hb = await request.post('/api/session/heartbeat', { data: '{"sessionId":"a\\u0000"}', headers: { 'content-type': 'application/json' } });
		expect((await expectApiError(hb, 400, 'invalid_input', 'sessionId')).issues).toHaveLength(1);
		await expectApiError(await api.get('/api/cron/jobs/%00'), 400, 'invalid_input', 'key');
		await expectApiError(await api.get('/api/cron/executions?job=%00'), 400, 'invalid_input', 'job');
		const job = (field: string, value: unknown, extra: Record<string, unknown> = {}) =>
			api.post('/api/cron/jobs', { data: { key: uniqueKey('nul'), name: 'N', type: 'http', schedule: QUIET_SCHEDULE, params: { url: 'http://127.0.0.1:9/' }, ...extra, [field]: value } });
		await expectApiError(await job('name', 'a\u0000b'), 400, 'invalid_input', 'name');
		await expectApiError(await job('description', 'lone \ud800 surrogate'), 400, 'invalid_input', 'description');
		await expectApiError(await job('params', { url: 'http://127.0.0.1:9/', method: 'POST', body: 'x\u0000y' }), 400, 'invalid_input', 'params.body');
		await expectApiError(await api.post('/api/access-keys', { data: { label: 'desk\u0000' } }), 400, 'invalid_input', 'label');
		const start = await request.post('/api/session/start', { data: { accessKey: 'ck_nope', deviceId: 'tab\u0000let' } });
		await expectApiError(start, 400, 'invalid_input', 'deviceId');
	});

	test('"type": constructor, __proto__ or toString on job create: 400 naming type', async ({ api }) => {
		for (const type of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
			const res = await api.post('/api/cron/jobs', { data: { key: uniqueKey('proto'), name: 'P', type, schedule: QUIET_SCHEDULE, params: {} } });
			expect((await expectApiError(res, 400, 'invalid_input', 'type')).issues).toEqual([{ path: 'type', message: 'must be one of http, command' }]);
		}
		const nick = await api.post('/api/cron/jobs', { data: { key: uniqueKey('proto'), name: 'P', type: 'http', schedule: 'constructor', params: { url: 'http://127.0.0.1:9/' } } });
		await expectApiError(nick, 400, 'invalid_input', 'schedule');
	});

	test('?q=%00 on admin pages, NUL in form fields and ids, malformed multipart: 400', async ({ adminPage, request, baseURL }) => {
		for (const path of ['/admin/cron?q=%00', '/admin/sessions?q=%00', '/admin/cron/executions?job=%00', '/admin/audit?entity=%00', '/admin/email?status=%00', '/admin/cron/%00']) {
			expect((await adminPage.request.get(path)).status(), path).toBe(400);
		}
		const login = await request.post('/login', { data: 'email=a%00b%40c.d&password=whatever', headers: { ...formHeaders(baseURL!), 'content-type': 'application/x-www-form-urlencoded' } });
		expect(login.status()).toBe(400);
		expect(await login.text()).toContain('email: must not contain NUL characters');
		const forms: [string, string][] = [
			['/admin/sessions?/end', 'id'],
			['/admin/sessions?/revoke', 'id'],
			['/admin/users?/delete', 'id'],
			['/admin/email?/retry', 'id'],
			['/admin/cron?/runNow', 'key'],
			['/admin/sessions?/create', 'label']
		];
		for (const [action, field] of forms) {
			const res = await adminPage.request.post(action, { data: `${field}=x%00`, headers: { ...enhanced(baseURL!), 'content-type': 'application/x-www-form-urlencoded' } });
			expect(res.status(), action).toBe(400);
			expect(await res.json(), action).toEqual({ type: 'error', error: { code: 'invalid_input', message: `${field}: must not contain NUL characters` } });
		}
		const multipart = await adminPage.request.post('/admin/cron?/runNow', {
			data: '--boundary\r\nContent-Disposition: form-data; name="key"\r\n\r\nnightly',
			headers: { ...formHeaders(baseURL!), 'content-type': 'multipart/form-data; boundary=boundary' }
		});
		expect(multipart.status()).toBe(400);
	});

	test('a body shorter than its Content-Length: 408 within 10 s (heartbeat fast path, API, form action)', async ({ baseURL }) => {
		const json = { 'content-type': 'application/json' };
		const [fast, api, form] = await Promise.all([
			stalledRequest(baseURL!, 'POST', '/api/session/heartbeat', json, 100, '{"sessionId":'),
			stalledRequest(baseURL!, 'POST', '/api/session/start', json, 100, '{"accessKey":'),
			stalledRequest(baseURL!, 'POST', '/login', { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(baseURL!).origin, accept: 'text/html' }, 100, 'email=a')
		]);
		for (const [what, r] of Object.entries({ fast, api, form })) {
			expect(r.reply, what).toMatch(/^HTTP\/1\.1 408 /);
			expect(r.ms, what).toBeLessThan(10_000);
		}
		expect(fast.reply).toContain('"code":"request_timeout"');
		expect(api.reply).toContain('"code":"request_timeout"');
	});
});

/** Signs in over plain HTTP; the session cookie as a Cookie header value. */
async function signIn(baseURL: string, cookie = ''): Promise<string> {
	const origin = new URL(baseURL).origin;
	const res = await fetch(`${origin}/login`, {
		method: 'POST',
		headers: { origin, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', cookie },
		body: new URLSearchParams({ email: ADMIN.email, password: ADMIN.password }),
		redirect: 'manual'
	});
	expect(res.status).toBe(303);
	const session = res.headers.getSetCookie().find((c) => c.startsWith('cronkit_session='));
	return session!.split(';')[0]!;
}

test.describe('low: sessions', () => {
	test('server-sent events end within 5 s of logout', async ({ baseURL }) => {
		const origin = new URL(baseURL!).origin;
		const cookie = await signIn(baseURL!);
		const events = await fetch(`${origin}/admin/events`, { headers: { cookie, accept: 'text/event-stream' } });
		expect(events.status).toBe(200);
		const reader = events.body!.getReader();
		expect(new TextDecoder().decode((await reader.read()).value)).toContain('retry:');
		const logout = await fetch(`${origin}/logout`, { method: 'POST', headers: { cookie, origin, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
		expect(logout.status).toBe(303);
		const t0 = Date.now();
		for (;;) if ((await reader.read()).done) break;
		expect(Date.now() - t0).toBeLessThan(5_000);
	});

	test('signing in again issues a new session and ends the one the request carried; other devices keep theirs', async ({ baseURL }) => {
		const origin = new URL(baseURL!).origin;
		const works = async (cookie: string) => (await fetch(`${origin}/api/cron/jobs`, { headers: { cookie } })).status;
		const first = await signIn(baseURL!);
		const elsewhere = await signIn(baseURL!);
		const second = await signIn(baseURL!, first);
		expect(second).not.toBe(first);
		expect(await works(first)).toBe(401);
		expect(await works(second)).toBe(200);
		expect(await works(elsewhere)).toBe(200);
	});
});

test.describe('low: headers', () => {
	const csp = (header: string | undefined) => {
		expect(header).toBeDefined();
		const scriptSrc = header!.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'));
		expect(scriptSrc).toMatch(/^script-src 'self' 'nonce-[^']+'$/);
		expect(header).toContain("frame-ancestors 'none'");
		expect(header).not.toMatch(/script-src[^;]*unsafe-inline/);
	};

	test('a CSP without unsafe-inline scripts on pages, no-store on authenticated HTML and data', async ({ request, adminPage }) => {
		const login = await request.get('/login');
		csp(login.headers()['content-security-policy']);
		for (const path of ['/admin/cron', '/admin/users', '/admin/audit']) {
			const res = await adminPage.request.get(path);
			csp(res.headers()['content-security-policy']);
			expect(res.headers()['cache-control'], path).toBe('no-store');
		}
		const data = await adminPage.request.get('/admin/cron/__data.json?x-sveltekit-invalidated=01');
		expect(data.headers()['cache-control']).toBe('no-store');
	});

	test('nosniff and frame-ancestors on every response, static files included', async ({ request, api }) => {
		const html = await (await request.get('/login')).text();
		const asset = /\/_app\/immutable\/[^"]+\.js/.exec(html)![0];
		const responses = [await request.get('/favicon.svg'), await request.get(asset), await api.get('/api/cron/jobs'), await request.get('/healthz'), await request.get('/metrics'), await request.get('/no-such-page')];
		for (const res of responses) {
			expect(res.headers()['x-content-type-options'], res.url()).toBe('nosniff');
			expect(res.headers()['content-security-policy'], res.url()).toContain("frame-ancestors 'none'");
		}
	});

	test('the admin pages, live updates and forms work with JavaScript under the CSP', async ({ adminPage, api }) => {
		const violations: string[] = [];
		adminPage.on('console', (m) => {
			if (/Content Security Policy|Refused to (execute|load|apply|connect)/i.test(m.text())) violations.push(m.text());
		});
		const job = await api.createHttpJob('http://127.0.0.1:9/');
		// The pages with live updates show them flowing (the event stream is allowed by connect-src).
		for (const path of ['/admin/cron', `/admin/cron/${job.key}`, '/admin/cron/executions']) {
			await adminPage.goto(path);
			await expect(new AdminShell(adminPage).liveIndicator).toHaveAttribute('data-state', 'live');
		}
		for (const path of ['/admin/users', '/admin/sessions', '/admin/audit', '/admin/email', '/admin/cron/new', '/admin/cron/settings']) {
			await adminPage.goto(path);
			await expect(new AdminShell(adminPage).user).toContainText(ADMIN.email);
		}
		// An enhanced form: Run now on the job page.
		const page = new CronJobPage(adminPage);
		await page.goto(job.key);
		await page.runNow.click();
		await expect(page.notice).toContainText(/Run #\d+ of .* queued/);
		expect(violations).toEqual([]);
	});
});

test.describe('low: passwords and metrics', () => {
	test('a new user’s password of 8 characters such as "password", or a common 12, is refused', async ({ adminPage, baseURL }) => {
		for (const password of ['password', 'password1234']) {
			const res = await adminPage.request.post('/admin/users?/create', { form: { email: `weak-${password}@example.com`, role: 'viewer', password }, headers: enhanced(baseURL!) });
			const body = await res.json();
			expect(body, password).toMatchObject({ type: 'failure', status: 400 });
			expect(body.data, password).toContain('Password');
		}
	});

	test('/metrics passes promtool’s rules', async ({ request, api }) => {
		// Database gauges appear once scraped; a session start and a run make the counters appear.
		await api.trigger((await api.createHttpJob('http://127.0.0.1:9/')).key);
		await request.get('/metrics');
		const text = await (await request.get('/metrics')).text();
		expect(metricsProblems(text)).toEqual([]);
		expect(text).toContain('# TYPE cronkit_queue_depth gauge');
		expect(text).not.toContain('cronkit_process_process_');
	});
});
