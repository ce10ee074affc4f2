/**
 * The cron REST API and /metrics (README, "REST API", "Health and metrics") over real HTTP against the built app.
 * Every test uses its own job keys, so they run in parallel.
 */
import http from 'node:http';
import net from 'node:net';
import { CRON_SECRET, expectApiError, QUIET_SCHEDULE, uniqueKey } from '../helpers/api';
// The cron pages' `test`: the `api` client and `selfURL` (the app as its own scheduler reaches it).
import { expect, test } from '../admin/cron-test';

const MB = 1024 * 1024;

/** Bytes sent as they are: Playwright re-encodes a string that does not parse as JSON. */
const raw = (text: string) => Buffer.from(text, 'utf8');
const JOB_FIELDS = ['key', 'name', 'description', 'source', 'type', 'schedule', 'timezone', 'enabled', 'timeoutMs', 'maxRetries', 'overlap', 'catchUp', 'nextRunAt', 'lastRunAt', 'lastStatus'];
const EXECUTION_FIELDS = ['id', 'jobKey', 'trigger', 'status', 'scheduledFor', 'startedAt', 'finishedAt', 'durationMs', 'attempt', 'instanceId', 'output', 'result', 'errorMessage'];

/** A TCP server that accepts connections and never answers: an http job against it hangs. */
async function silentServer() {
	const sockets = new Set<net.Socket>();
	const server = net.createServer((s) => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as net.AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/hang`,
		close: () => {
			for (const s of sockets) s.destroy();
			return new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}

/** POSTs `bytes` of JSON with chunked transfer encoding (no content-length) through node:http. */
function postChunked(url: string, bytes: number): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
	return new Promise((resolve, reject) => {
		const req = http.request(
			url,
			{ method: 'POST', headers: { authorization: `Bearer ${CRON_SECRET}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
			(res) => {
				let body = '';
				res.setEncoding('utf8');
				res.on('data', (c: string) => (body += c));
				res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
			}
		);
		req.on('error', reject);
		const chunk = Buffer.alloc(64 * 1024, 'x');
		let sent = 0;
		const write = () => {
			if (sent === 0) {
				req.write('{"key":"');
			}
			while (sent < bytes) {
				sent += chunk.length;
				if (!req.write(chunk)) return void req.once('drain', write);
			}
			req.end('"}');
		};
		write();
	});
}

test.describe('authentication', () => {
	const endpoints: [string, string][] = [
		['GET', '/api/cron/jobs'],
		['POST', '/api/cron/jobs'],
		['GET', '/api/cron/jobs/prune-executions'],
		['PATCH', '/api/cron/jobs/prune-executions'],
		['DELETE', '/api/cron/jobs/prune-executions'],
		['POST', '/api/cron/jobs/prune-executions/trigger'],
		['GET', '/api/cron/jobs/prune-executions/executions'],
		['GET', '/api/cron/executions'],
		['GET', '/api/cron/executions/1'],
		['POST', '/api/cron/executions/1/cancel'],
		['POST', '/api/cron/run'],
		['GET', '/api/cron/schedule/preview?expr=daily'],
		['GET', '/api/cron/settings'],
		['PATCH', '/api/cron/settings']
	];

	for (const [method, path] of endpoints) {
		test(`${method} ${path} needs the bearer secret`, async ({ api }) => {
			const missing = await api.send(method, path, { token: null, data: { enabled: false } });
			expect((await expectApiError(missing, 401, 'unauthorized')).message).toMatch(/Bearer/);
			expect(missing.headers()['www-authenticate']).toMatch(/^Bearer/);
			const wrong = await api.send(method, path, { token: `${CRON_SECRET}x`, data: { enabled: false } });
			await expectApiError(wrong, 401, 'unauthorized');
			const basic = await api.send(method, path, { token: null, headers: { authorization: `Basic ${btoa(`api:${CRON_SECRET}`)}` } });
			await expectApiError(basic, 401, 'unauthorized');
		});
	}

	test('auth is checked before the body is parsed', async ({ api }) => {
		const res = await api.post('/api/cron/jobs', { token: null, data: raw('{not json'), headers: { 'content-type': 'application/json' } });
		await expectApiError(res, 401, 'unauthorized');
	});
});

test.describe('jobs', () => {
	test('GET /api/cron/jobs lists the code jobs with the documented fields', async ({ api }) => {
		const res = await api.get('/api/cron/jobs');
		expect(res.status()).toBe(200);
		const { jobs } = await res.json();
		const prune = jobs.find((j: { key: string }) => j.key === 'prune-executions');
		expect(prune).toMatchObject({ source: 'code', schedule: 'daily', timezone: 'UTC' });
		for (const field of JOB_FIELDS) expect(prune, field).toHaveProperty(field);
	});

	test('POST creates a UI job (201), GET reads it back, a second POST of the key is a 409', async ({ api, selfURL }) => {
		const key = uniqueKey('e2e-create');
		const res = await api.post('/api/cron/jobs', {
			data: {
				key,
				name: 'Ping health',
				description: 'created by e2e',
				type: 'http',
				params: { url: `${selfURL}/healthz`, method: 'GET', headers: { 'x-e2e': '1' }, expectStatus: 200 },
				schedule: '*/15 * * * *',
				timezone: 'Europe/Paris',
				enabled: true,
				timeoutMs: 5000,
				maxRetries: 3,
				overlap: 'allow',
				catchUp: 'skip'
			}
		});
		expect(res.status()).toBe(201);
		const { job } = await res.json();
		expect(job).toMatchObject({
			key,
			name: 'Ping health',
			description: 'created by e2e',
			source: 'ui',
			type: 'http',
			schedule: '*/15 * * * *',
			timezone: 'Europe/Paris',
			enabled: true,
			timeoutMs: 5000,
			maxRetries: 3,
			overlap: 'allow',
			catchUp: 'skip',
			lastRunAt: null,
			lastStatus: null
		});
		expect(Date.parse(job.nextRunAt)).toBeGreaterThan(Date.now());
		for (const field of JOB_FIELDS) expect(job, field).toHaveProperty(field);

		const read = await api.get(`/api/cron/jobs/${key}`);
		expect(read.status()).toBe(200);
		expect((await read.json()).job).toMatchObject({ key, schedule: '*/15 * * * *', params: { url: `${selfURL}/healthz` } });

		const again = await api.post('/api/cron/jobs', { data: { key, name: 'dup', type: 'http', params: { url: `${selfURL}/healthz` }, schedule: 'daily' } });
		await expectApiError(again, 409, 'conflict', 'key');
		const dupCode = await api.post('/api/cron/jobs', { data: { key: 'prune-executions', name: 'dup', type: 'http', params: { url: `${selfURL}/` }, schedule: 'daily' } });
		await expectApiError(dupCode, 409, 'conflict', 'key');
	});

	test('POST applies defaults for the optional fields', async ({ api, selfURL }) => {
		const job = await api.createHttpJob(`${selfURL}/healthz`);
		expect(job).toMatchObject({ description: '', enabled: true, overlap: 'forbid', catchUp: 'once', timezone: 'UTC', source: 'ui' });
		expect(job.timeoutMs).toEqual(expect.any(Number));
		expect(job.maxRetries).toEqual(expect.any(Number));
	});

	test('POST rejects bad input with a 400 naming the field', async ({ api, selfURL }) => {
		const valid = () => ({ key: uniqueKey('e2e-bad'), name: 'Bad', type: 'http', params: { url: `${selfURL}/healthz` }, schedule: 'daily' });
		const cases: [string, Record<string, unknown>, string, RegExp?][] = [
			['maxRetries as a string', { maxRetries: '3' }, 'maxRetries', /number/],
			['timeoutMs as a string', { timeoutMs: '1000' }, 'timeoutMs'],
			['enabled as a string', { enabled: 'yes' }, 'enabled'],
			['an invalid minute', { schedule: '61 * * * *' }, 'schedule', /minute/],
			['an invalid hour', { schedule: '0 24 * * *' }, 'schedule', /hour/],
			['an invalid day of week', { schedule: '0 0 * * 9' }, 'schedule', /day/],
			['too many fields', { schedule: '* * * * * * *' }, 'schedule', /fields/],
			['an empty schedule', { schedule: '' }, 'schedule'],
			['an unknown time zone', { timezone: 'Mars/Olympus' }, 'timezone'],
			['an unknown type', { type: 'shell' }, 'type', /http/],
			['an http job without url', { params: {} }, 'params.url'],
			['a non-http url', { params: { url: 'ftp://example.com/' } }, 'params.url'],
			['a bad method', { params: { url: `${selfURL}/`, method: 'TRACE' } }, 'params.method'],
			['a key that is not a slug', { key: 'Not A Slug' }, 'key'],
			['a key reserved for an admin page', { key: 'settings' }, 'key', /reserved/],
			['a missing name', { name: undefined }, 'name'],
			['a bad overlap policy', { overlap: 'sometimes' }, 'overlap', /forbid/],
			['a bad catch-up policy', { catchUp: 'twice' }, 'catchUp'],
			['a negative maxRetries', { maxRetries: -1 }, 'maxRetries'],
			['a fractional timeout', { timeoutMs: 1000.5 }, 'timeoutMs']
		];
		for (const [what, patch, path, message] of cases) {
			await test.step(what, async () => {
				const res = await api.post('/api/cron/jobs', { data: { ...valid(), ...patch } });
				const error = await expectApiError(res, 400, 'invalid_input', path);
				if (message) expect(error.message).toMatch(message);
			});
		}
		await test.step('an unknown field', async () => {
			const res = await api.post('/api/cron/jobs', { data: { ...valid(), source: 'code' } });
			expect((await expectApiError(res, 400, 'invalid_input')).message).toMatch(/source/);
		});
	});

	test('POST rejects malformed bodies with a 400', async ({ api }) => {
		const json = { 'content-type': 'application/json' };
		for (const body of ['{"key": "x",', "{'key': 'x'}", 'key=x', '']) {
			await test.step(`body ${JSON.stringify(body)}`, async () => {
				await expectApiError(await api.post('/api/cron/jobs', { data: raw(body), headers: json }), 400, 'invalid_json');
			});
		}
		for (const body of ['[]', '"job"', '42', 'null']) {
			await test.step(`body ${body}`, async () => {
				await expectApiError(await api.post('/api/cron/jobs', { data: raw(body), headers: json }), 400, 'invalid_input', '(body)');
			});
		}
		await test.step('body without content-type', async () => {
			const res = await api.post('/api/cron/jobs', { data: Buffer.from('{"key":"x"}') });
			expect(res.status()).toBe(400);
		});
	});

	test('a body over 1 MB is a 413, by content-length and when streamed', async ({ api, baseURL }) => {
		const big = raw(JSON.stringify({ key: 'x', pad: 'x'.repeat(MB) }));
		const res = await api.post('/api/cron/jobs', { data: big, headers: { 'content-type': 'application/json' } });
		expect((await expectApiError(res, 413, 'payload_too_large')).message).toMatch(/1048576 bytes/);

		const chunked = await postChunked(`${baseURL}/api/cron/jobs`, MB + 64 * 1024);
		expect(chunked.status).toBe(413);
		expect(JSON.parse(chunked.body)).toEqual({ error: { code: 'payload_too_large', message: expect.any(String), issues: [] } });
		expect(chunked.headers['cache-control']).toBe('no-store');

		// The connection stays usable after a refused upload.
		expect((await api.get('/api/cron/settings')).status()).toBe(200);
	});

	test('a body just under 1 MB is accepted (adapter-node BODY_SIZE_LIMIT raised)', async ({ api, selfURL }) => {
		const key = uniqueKey('e2e-large');
		const payload = 'x'.repeat(900_000);
		const res = await api.post('/api/cron/jobs', {
			data: { key, name: 'Large body', type: 'http', schedule: QUIET_SCHEDULE, params: { url: `${selfURL}/healthz`, method: 'POST', body: payload } }
		});
		expect(res.status(), 'set BODY_SIZE_LIMIT above 1 MB in scripts/start.js').toBe(201);
		expect((await res.json()).job.params.body).toHaveLength(payload.length);
	});

	test('PATCH updates a job and returns it', async ({ api, selfURL }) => {
		const { key } = await api.createHttpJob(`${selfURL}/healthz`);
		const res = await api.patch(`/api/cron/jobs/${key}`, {
			data: { name: 'Renamed', schedule: '*/5 * * * *', timezone: 'America/New_York', maxRetries: 2, timeoutMs: 2000, overlap: 'replace', catchUp: 'all' }
		});
		expect(res.status()).toBe(200);
		expect((await res.json()).job).toMatchObject({
			key,
			name: 'Renamed',
			schedule: '*/5 * * * *',
			timezone: 'America/New_York',
			maxRetries: 2,
			timeoutMs: 2000,
			overlap: 'replace',
			catchUp: 'all',
			source: 'ui',
			type: 'http'
		});
		const params = await api.patch(`/api/cron/jobs/${key}`, { data: { params: { url: `${selfURL}/healthz?x=1` } } });
		expect((await params.json()).job.params.url).toBe(`${selfURL}/healthz?x=1`);
	});

	test('PATCH of some fields leaves the others as they were', async ({ api, selfURL }) => {
		const { key } = await api.createHttpJob(`${selfURL}/healthz`, { enabled: false, maxRetries: 4 });
		const res = await api.patch(`/api/cron/jobs/${key}`, { data: { name: 'Only the name' } });
		expect(res.status(), await res.text()).toBe(200);
		expect((await res.json()).job).toMatchObject({
			name: 'Only the name',
			enabled: false,
			maxRetries: 4,
			params: { url: `${selfURL}/healthz` }
		});
	});

	test('PATCH of a code job changes its policy', async ({ api }) => {
		const before = (await (await api.get('/api/cron/jobs/prune-executions')).json()).job;
		const res = await api.patch('/api/cron/jobs/prune-executions', { data: { maxRetries: before.maxRetries + 1 } });
		expect(res.status(), await res.text()).toBe(200);
		const { job } = await res.json();
		expect(job).toMatchObject({ maxRetries: before.maxRetries + 1, source: 'code', schedule: before.schedule, enabled: before.enabled });
		expect(job.drift).toContain('maxRetries');
		const restored = await api.patch('/api/cron/jobs/prune-executions', { data: { maxRetries: before.maxRetries } });
		expect(restored.status()).toBe(200);
	});

	test('PATCH rejects key, type, source, wrong types and invalid schedules', async ({ api, selfURL }) => {
		const { key } = await api.createHttpJob(`${selfURL}/healthz`);
		const path = `/api/cron/jobs/${key}`;
		for (const field of ['key', 'type', 'source']) {
			await test.step(`changing ${field}`, async () => {
				const error = await expectApiError(await api.patch(path, { data: { [field]: 'other-value' } }), 400, 'invalid_input');
				expect(error.message).toContain(field);
			});
		}
		await expectApiError(await api.patch(path, { data: { maxRetries: '3' } }), 400, 'invalid_input', 'maxRetries');
		await expectApiError(await api.patch(path, { data: { enabled: 1 } }), 400, 'invalid_input', 'enabled');
		expect((await expectApiError(await api.patch(path, { data: { schedule: '*/5 25 * * *' } }), 400, 'invalid_input', 'schedule')).message).toMatch(/hour/);
		await expectApiError(await api.patch(path, { data: { timezone: 'Not/AZone' } }), 400, 'invalid_input', 'timezone');
		await expectApiError(await api.patch(path, { data: { params: { url: 'nope' } } }), 400, 'invalid_input', 'params.url');
		await expectApiError(await api.patch(path, { data: raw('{"name":'), headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
		await expectApiError(await api.patch(path, { data: raw('[]'), headers: { 'content-type': 'application/json' } }), 400, 'invalid_input', '(body)');
		// nothing of the above was applied
		expect((await (await api.get(path)).json()).job).toMatchObject({ key, type: 'http', schedule: QUIET_SCHEDULE, source: 'ui' });
	});

	test('an unknown job is a 404 on every job endpoint', async ({ api }) => {
		const key = uniqueKey('e2e-missing');
		for (const [method, path] of [
			['GET', `/api/cron/jobs/${key}`],
			['PATCH', `/api/cron/jobs/${key}`],
			['DELETE', `/api/cron/jobs/${key}`],
			['POST', `/api/cron/jobs/${key}/trigger`],
			['GET', `/api/cron/jobs/${key}/executions`]
		] as const) {
			await test.step(`${method} ${path}`, async () => {
				const error = await expectApiError(await api.send(method, path, { data: { name: 'x' } }), 404, 'not_found');
				expect(error.message).toContain(key);
			});
		}
	});

	test('DELETE removes a UI job (204) and refuses a code job (409)', async ({ api, selfURL }) => {
		const { key } = await api.createHttpJob(`${selfURL}/healthz`);
		const res = await api.delete(`/api/cron/jobs/${key}`);
		expect(res.status()).toBe(204);
		expect(await res.text()).toBe('');
		await expectApiError(await api.get(`/api/cron/jobs/${key}`), 404, 'not_found');
		await expectApiError(await api.delete(`/api/cron/jobs/${key}`), 404, 'not_found');

		const code = await expectApiError(await api.delete('/api/cron/jobs/prune-executions'), 409, 'conflict');
		expect(code.message).toMatch(/code/);
		expect((await api.get('/api/cron/jobs/prune-executions')).status()).toBe(200);
	});
});

test.describe('runs', () => {
	test('an http job against the app itself runs and captures status and body', async ({ api, selfURL }) => {
		const { key } = await api.createHttpJob(`${selfURL}/healthz`);
		const id = await api.trigger(key);
		const run = await api.waitForStatus(id, ['succeeded', 'failed', 'timed_out', 'interrupted', 'cancelled']);
		expect(run.status, run.errorMessage as string).toBe('succeeded');
		for (const field of EXECUTION_FIELDS) expect(run, field).toHaveProperty(field);
		expect(run).toMatchObject({ id, jobKey: key, trigger: 'api', attempt: 1, scheduledFor: null, errorMessage: null });
		expect(run.output).toContain('200');
		expect(run.output).toContain('"status":"ok"');
		expect(run.output).toContain('"db":"up"');
		expect(run.durationMs).toEqual(expect.any(Number));
		expect(Date.parse(run.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(run.startedAt as string));
		expect(run.result).toMatchObject({ message: 'HTTP 200' });

		// a finished run cannot be cancelled
		const error = await expectApiError(await api.post(`/api/cron/executions/${id}/cancel`), 409, 'conflict');
		expect(error.message).toContain('succeeded');

		// the job's denormalised state follows
		await expect.poll(async () => (await (await api.get(`/api/cron/jobs/${key}`)).json()).job.lastStatus).toBe('succeeded');
	});

	test('a failing http job records the failure', async ({ api, selfURL }) => {
		const { key } = await api.createHttpJob(`${selfURL}/healthz`, { params: { url: `${selfURL}/healthz`, expectStatus: 201 } });
		const run = await api.waitForStatus(await api.trigger(key), ['succeeded', 'failed']);
		expect(run.status).toBe('failed');
		expect(run.errorMessage).toMatch(/HTTP 200.*expected 201/);
	});

	test('cancel: a queued run and a running run (202), then a finished one (409)', async ({ api }) => {
		const hang = await silentServer();
		try {
			const { key } = await api.createHttpJob(hang.url, { overlap: 'forbid', timeoutMs: 60_000 });
			const first = await api.trigger(key);
			await api.waitForStatus(first, ['running']);
			// forbid: the second run waits in the queue while the first holds the slot
			const second = await api.trigger(key);
			expect((await api.execution(second)).status).toBe('queued');

			const cancelQueued = await api.post(`/api/cron/executions/${second}/cancel`);
			expect(cancelQueued.status()).toBe(202);
			expect((await cancelQueued.json()).execution).toMatchObject({ id: second, status: 'cancelled', jobKey: key });

			const cancelRunning = await api.post(`/api/cron/executions/${first}/cancel`);
			expect(cancelRunning.status()).toBe(202);
			expect((await cancelRunning.json()).execution).toMatchObject({ id: first, status: 'cancelled' });

			for (const id of [first, second]) {
				const error = await expectApiError(await api.post(`/api/cron/executions/${id}/cancel`), 409, 'conflict');
				expect(error.message).toContain('cancelled');
			}
		} finally {
			await hang.close();
		}
	});

	test('execution ids must be positive integers; unknown ones are a 404', async ({ api }) => {
		for (const id of ['abc', '0', '-1', '1.5', '1e3', '99999999999999999999']) {
			await test.step(`id ${id}`, async () => {
				await expectApiError(await api.get(`/api/cron/executions/${id}`), 400, 'invalid_input', 'id');
				await expectApiError(await api.post(`/api/cron/executions/${id}/cancel`), 400, 'invalid_input', 'id');
			});
		}
		await expectApiError(await api.get('/api/cron/executions/2147483000'), 404, 'not_found');
		await expectApiError(await api.post('/api/cron/executions/2147483000/cancel'), 404, 'not_found');
	});

	test('GET executions pages by cursor and filters by status and trigger', async ({ api, selfURL }) => {
		const { key } = await api.createHttpJob(`${selfURL}/healthz`);
		const ids = [await api.trigger(key), await api.trigger(key), await api.trigger(key)];
		for (const id of ids) await api.waitForStatus(id, ['succeeded']);
		const path = `/api/cron/jobs/${key}/executions`;

		const all = await (await api.get(path)).json();
		expect(all.executions.map((e: { id: number }) => e.id)).toEqual([...ids].reverse());
		expect(all.nextCursor).toBeNull();

		const seen: number[] = [];
		let cursor: number | null | undefined;
		do {
			const res = await api.get(path, { params: { limit: 2, ...(cursor ? { cursor } : {}) } });
			expect(res.status()).toBe(200);
			const page = await res.json();
			expect(page.executions.length).toBeLessThanOrEqual(2);
			seen.push(...page.executions.map((e: { id: number }) => e.id));
			cursor = page.nextCursor;
		} while (cursor);
		expect(seen).toEqual([...ids].reverse());

		const api_ = await (await api.get(path, { params: { trigger: 'api', status: 'succeeded' } })).json();
		expect(api_.executions).toHaveLength(3);
		const none = await (await api.get(path, { params: { trigger: 'schedule' } })).json();
		expect(none).toEqual({ executions: [], nextCursor: null });
		// empty values count as absent
		expect((await (await api.get(`${path}?status=&trigger=&cursor=&limit=`)).json()).executions).toHaveLength(3);

		const global = await (await api.get('/api/cron/executions', { params: { job: key, limit: 1 } })).json();
		expect(global.executions).toHaveLength(1);
		expect(global.executions[0].jobKey).toBe(key);
		expect(global.nextCursor).toBe(ids[2]);
	});

	test('GET executions rejects a bad cursor, limit, status or trigger', async ({ api }) => {
		const path = '/api/cron/jobs/prune-executions/executions';
		const cases: [Record<string, string>, string][] = [
			[{ cursor: 'abc' }, 'cursor'],
			[{ cursor: '-5' }, 'cursor'],
			[{ cursor: '1.5' }, 'cursor'],
			[{ limit: '0' }, 'limit'],
			[{ limit: '201' }, 'limit'],
			[{ limit: 'ten' }, 'limit'],
			[{ status: 'done' }, 'status'],
			[{ trigger: 'cron' }, 'trigger']
		];
		for (const [params, field] of cases) {
			await test.step(JSON.stringify(params), async () => {
				await expectApiError(await api.get(path, { params }), 400, 'invalid_input', field);
			});
		}
	});

	test('POST /api/cron/run runs what is due and reports it', async ({ api, selfURL }) => {
		const { key } = await api.createHttpJob(`${selfURL}/healthz`);
		const id = await api.trigger(key);
		const res = await api.post('/api/cron/run?budgetMs=5000', { timeout: 60_000 });
		expect(res.status()).toBe(200);
		const { ran, running, left } = await res.json();
		for (const r of ran) expect(r).toEqual({ id: expect.any(Number), jobKey: expect.any(String), status: expect.any(String) });
		for (const r of running) expect(r).toEqual({ id: expect.any(Number), jobKey: expect.any(String) });
		expect(left).toEqual(expect.any(Number));
		await expectApiError(await api.post('/api/cron/run?budgetMs=-1'), 400, 'invalid_input');
		// whichever took it (this request or the scheduler), the run completes
		expect((await api.waitForStatus(id, ['succeeded', 'failed'])).status).toBe('succeeded');
	});
});

test.describe('schedule preview', () => {
	const path = '/api/cron/schedule/preview';

	test('describes a valid schedule and lists runs strictly after from', async ({ api }) => {
		const from = '2025-03-30T00:30:00Z';
		const res = await api.get(path, { params: { expr: '30 2 * * *', tz: 'Europe/Paris', count: 3, from } });
		expect(res.status()).toBe(200);
		const body = await res.json();
		expect(body).toMatchObject({ valid: true, description: expect.any(String) });
		expect(body.nextRuns).toHaveLength(3);
		for (const at of body.nextRuns) {
			expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
			expect(Date.parse(at)).toBeGreaterThan(Date.parse(from));
		}
		// 02:30 does not exist in Paris on 2025-03-30: it runs once, right after the gap
		expect(body.nextRuns[0]).toBe('2025-03-30T01:00:00.000Z');

		const dflt = await (await api.get(path, { params: { expr: '@hourly' } })).json();
		expect(dflt.nextRuns).toHaveLength(5);
		expect(Date.parse(dflt.nextRuns[0])).toBeGreaterThan(Date.now() - 1000);
		expect((await (await api.get(path, { params: { expr: 'every_5_minutes', count: 1000 } })).json()).nextRuns).toHaveLength(1000);
	});

	test('an invalid expression or zone is a 200 with valid false', async ({ api }) => {
		const bad = await api.get(path, { params: { expr: '61 * * * *' } });
		expect(bad.status()).toBe(200);
		const body = await bad.json();
		expect(body).toMatchObject({ valid: false, error: expect.stringMatching(/minute/) });
		expect(body).not.toHaveProperty('nextRuns');
		const zone = await (await api.get(path, { params: { expr: 'daily', tz: 'Mars/Olympus' } })).json();
		expect(zone).toMatchObject({ valid: false, error: expect.any(String) });
	});

	test('count, from and expr are validated', async ({ api }) => {
		const cases: [Record<string, string>, string][] = [
			[{ expr: 'daily', count: '0' }, 'count'],
			[{ expr: 'daily', count: '1001' }, 'count'],
			[{ expr: 'daily', count: 'many' }, 'count'],
			[{ expr: 'daily', count: '2.5' }, 'count'],
			[{ expr: 'daily', from: 'yesterday' }, 'from'],
			[{}, 'expr']
		];
		for (const [params, field] of cases) {
			await test.step(JSON.stringify(params), async () => {
				await expectApiError(await api.get(path, { params }), 400, 'invalid_input', field);
			});
		}
	});
});

test.describe('settings', () => {
	test('GET returns the global settings; PATCH validates and applies', async ({ api }) => {
		const res = await api.get('/api/cron/settings');
		expect(res.status()).toBe(200);
		const { settings } = await res.json();
		expect(settings).toMatchObject({ 'scheduler.paused': expect.any(Boolean), 'executions.retentionDays': expect.any(Number), 'scheduler.defaultTimezone': 'UTC' });

		await expectApiError(await api.patch('/api/cron/settings', { data: { 'executions.retentionDays': '30' } }), 400, 'invalid_input', 'executions.retentionDays');
		await expectApiError(await api.patch('/api/cron/settings', { data: { 'executions.retentionDays': 0 } }), 400, 'invalid_input', 'executions.retentionDays');
		await expectApiError(await api.patch('/api/cron/settings', { data: { 'scheduler.defaultTimezone': 'Mars/Olympus' } }), 400, 'invalid_input', 'scheduler.defaultTimezone');
		expect((await expectApiError(await api.patch('/api/cron/settings', { data: { colour: 'blue' } }), 400, 'invalid_input')).message).toMatch(/colour/);
		await expectApiError(await api.patch('/api/cron/settings', { data: raw('{'), headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');

		// retention is the one setting other tests do not depend on
		const days = settings['executions.retentionDays'];
		const patched = await api.patch('/api/cron/settings', { data: { 'executions.retentionDays': days + 1 } });
		expect(patched.status()).toBe(200);
		expect((await patched.json()).settings).toMatchObject({ ...settings, 'executions.retentionDays': days + 1 });
		const restored = await api.patch('/api/cron/settings', { data: { 'executions.retentionDays': days } });
		expect((await restored.json()).settings).toEqual(settings);
	});
});

test.describe('protocol', () => {
	test('other methods are a JSON 405 naming the allowed ones', async ({ api }) => {
		const res = await api.send('PUT', '/api/cron/jobs', { data: {} });
		expect((await expectApiError(res, 405, 'method_not_allowed')).message).toMatch(/GET, POST/);
		expect(res.headers()['allow']).toBe('GET, POST');
		await expectApiError(await api.send('GET', '/api/cron/run'), 405, 'method_not_allowed');
	});

	test('an unknown API path is a JSON 404', async ({ api }) => {
		await expectApiError(await api.get('/api/cron/nothing/here'), 404, 'not_found');
	});
});

test.describe('/metrics', () => {
	test('serves Prometheus text without auth, with the database gauges', async ({ request }) => {
		const res = await request.get('/metrics');
		expect(res.status()).toBe(200);
		expect(res.headers()['content-type']).toMatch(/^text\/plain/);
		expect(res.headers()['cache-control']).toBe('no-store');
		const text = await res.text();
		for (const name of ['cronkit_queue_depth', 'cronkit_running_runs', 'cronkit_expired_leases']) {
			expect(text).toContain(`# TYPE ${name} gauge`);
			expect(text).toMatch(new RegExp(`^${name} \\d+$`, 'm'));
		}
		expect(text).toContain('cronkit_runs_total');
	});
});
