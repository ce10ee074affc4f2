/**
 * An enumerated fuzz of every JSON endpoint and every form action (alerts, monitors and ping URLs
 * included): each field (and path and
 * query parameter) in turn gets NUL, unpaired surrogates, prototype keys (`constructor`,
 * `__proto__`, `toString`) and values of the wrong type; bodies get prototype keys as field names
 * and the wrong shape; form actions also get malformed multipart and files where text belongs.
 * Whatever the input: never a 5xx. On an app of its own, as admin (the fuzz changes settings,
 * users and keys).
 */
import { ADMIN } from '../helpers/accounts';
import { CRON_SECRET } from '../helpers/api';
import { startOwnApp, type OwnApp } from '../helpers/own-app';
import { expect, test } from '../fixtures';

test.describe.configure({ mode: 'serial' });

let app: OwnApp;
let cookie: string;
/** A job and a run of it, so paths with a real key and id reach the code behind them. */
const KEY = 'fuzz-target';
let runId: number;
let keyId: string;
/** A monitor and a notification channel, for the paths of theirs. */
const MONITOR = 'fuzz-monitor';
let channelId: string;
let pingToken: string;

/** Every 5xx met, as "METHOD path (what) → status". */
const failures: string[] = [];
let requests = 0;

async function send(method: string, path: string, what: string, init: { body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Response> {
	const res = await fetch(`${app.url}${path}`, { method, body: init.body, headers: { cookie, ...init.headers }, redirect: 'manual' });
	requests++;
	if (res.status >= 500) failures.push(`${method} ${path} (${what}) → ${res.status}: ${(await res.text()).slice(0, 200)}`);
	else await res.body?.cancel();
	return res;
}

const api = (method: string, path: string, what: string, body?: unknown) =>
	send(method, path, what, {
		body: body === undefined ? undefined : JSON.stringify(body),
		headers: { authorization: `Bearer ${CRON_SECRET}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }
	});

const form = (path: string, what: string, body: BodyInit, enhanced: boolean, contentType = 'application/x-www-form-urlencoded') =>
	send('POST', path, what, {
		body,
		headers: { origin: app.url, 'content-type': contentType, ...(enhanced ? { accept: 'application/json', 'x-sveltekit-action': 'true' } : { accept: 'text/html' }) }
	});

/** Strings that break naive code: NUL, lone surrogates, prototype keys, the empty string. */
const BAD_STRINGS = ['a\u0000b', '\ud800', 'x\udfff', 'constructor', '__proto__', 'toString', 'hasOwnProperty', ''];
/** Values of the wrong type for any field. */
const WRONG_TYPES: unknown[] = [0, -1, 1e308, 3.5, true, null, [], {}, ['x'], { __proto__: { polluted: true } }, JSON.parse('{"__proto__": {"x": 1}}'), { constructor: { prototype: {} } }];
const JSON_VALUES: unknown[] = [...BAD_STRINGS, ...WRONG_TYPES];
/** Form values, URL-encoded: NUL, invalid UTF-8, prototype keys, numbers out of range, a long one. */
const FORM_VALUES = ['a%00b', '%ED%A0%80', '%FF%FE', 'constructor', '__proto__', 'toString', '', '-1', '1e308', 'NaN', 'x'.repeat(10_000)];

function jobBody(): Record<string, unknown> {
	return {
		key: `fz-${Math.random().toString(36).slice(2, 10)}`,
		name: 'Fuzz',
		description: 'd',
		type: 'http',
		params: { url: 'http://127.0.0.1:9/', method: 'POST', headers: { 'X-A': '1' }, body: 'b', expectStatus: 200, followRedirects: true },
		schedule: '0 0 1 1 *',
		timezone: 'UTC',
		enabled: false,
		timeoutMs: 1000,
		maxRetries: 0,
		overlap: 'forbid',
		catchUp: 'once',
		catchUpMaxAgeMs: 1000
	};
}

/** Every way of spoiling one JSON body: each field (nested ones too) replaced, extra prototype keys, the wrong shape. */
async function fuzzJson(method: string, path: string, base: () => Record<string, unknown>): Promise<void> {
	const fields = (obj: Record<string, unknown>, prefix: string[] = []): string[][] =>
		Object.entries(obj).flatMap(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) ? [[...prefix, k], ...fields(v as Record<string, unknown>, [...prefix, k])] : [[...prefix, k]]));
	for (const field of fields(base())) {
		for (const value of JSON_VALUES) {
			const body = base();
			let at = body;
			for (const part of field.slice(0, -1)) at = at[part] as Record<string, unknown>;
			at[field.at(-1)!] = value;
			await api(method, path, `${field.join('.')} = ${JSON.stringify(value)}`, body);
		}
	}
	for (const extra of ['__proto__', 'constructor', 'prototype', 'toString', 'a\u0000b', '\ud800']) {
		await send(method, path, `extra field ${JSON.stringify(extra)}`, {
			body: `{${JSON.stringify(extra)}: {"polluted": true}, ${JSON.stringify(base()).slice(1)}`,
			headers: { authorization: `Bearer ${CRON_SECRET}`, 'content-type': 'application/json' }
		});
	}
	for (const shape of [[], 'x', 1, null, true, [base()]]) await api(method, path, `body ${JSON.stringify(shape)}`, shape);
}

const PATH_VALUES = ['%00', 'a%00b', '%ED%A0%80', 'constructor', '__proto__', 'toString', '..%2f..%2f', '-1', '0', '99999999999999999999', '%E2%80%A2'];

test.beforeAll(async () => {
	test.setTimeout(120_000);
	app = await startOwnApp({ CRON_SECRET });
	const login = await fetch(`${app.url}/login`, {
		method: 'POST',
		headers: { origin: app.url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ email: ADMIN.email, password: ADMIN.password }),
		redirect: 'manual'
	});
	expect(login.status).toBe(303);
	cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
	const created = await fetch(`${app.url}/api/cron/jobs`, {
		method: 'POST',
		headers: { authorization: `Bearer ${CRON_SECRET}`, 'content-type': 'application/json' },
		body: JSON.stringify({ ...jobBody(), key: KEY })
	});
	expect(created.status).toBe(201);
	const trigger = await fetch(`${app.url}/api/cron/jobs/${KEY}/trigger`, { method: 'POST', headers: { authorization: `Bearer ${CRON_SECRET}` } });
	runId = ((await trigger.json()) as { execution: { id: number } }).execution.id;
	const key = await fetch(`${app.url}/api/access-keys`, {
		method: 'POST',
		headers: { authorization: `Bearer ${CRON_SECRET}`, 'content-type': 'application/json' },
		body: JSON.stringify({ label: 'fuzz' })
	});
	keyId = ((await key.json()) as { id: string }).id;
	const channel = await fetch(`${app.url}/api/alerts/channels`, {
		method: 'POST',
		headers: { authorization: `Bearer ${CRON_SECRET}`, 'content-type': 'application/json' },
		body: JSON.stringify({ type: 'webhook', name: 'fuzz', url: 'http://127.0.0.1:9/hook' })
	});
	channelId = ((await channel.json()) as { channel: { id: string } }).channel.id;
	const monitor = await fetch(`${app.url}/api/monitors`, {
		method: 'POST',
		headers: { authorization: `Bearer ${CRON_SECRET}`, 'content-type': 'application/json' },
		body: JSON.stringify({ key: MONITOR, name: 'Fuzz', periodSeconds: 3600 })
	});
	pingToken = ((await monitor.json()) as { pingUrl: string }).pingUrl.split('/').at(-1)!;
});

test.afterAll(async () => {
	await app?.stop();
});

test.beforeEach(() => {
	requests = 0;
	failures.length = 0;
});

test('every JSON endpoint: bad strings and wrong types in every field, path and query parameter', async () => {
	test.setTimeout(300_000);
	await fuzzJson('POST', '/api/cron/jobs', jobBody);
	await fuzzJson('PATCH', `/api/cron/jobs/${KEY}`, () => {
		const { key: _key, type: _type, ...rest } = jobBody();
		return { ...rest, enabled: false };
	});
	await fuzzJson('PATCH', '/api/cron/settings', () => ({ 'scheduler.paused': false, 'executions.retentionDays': 30, 'scheduler.defaultTimezone': 'UTC' }));
	await fuzzJson('POST', '/api/access-keys', () => ({ label: 'l', email: 'a@example.com' }));
	await fuzzJson('POST', '/api/session/start', () => ({ accessKey: 'ck_unknown', deviceId: 'd' }));
	await fuzzJson('POST', '/api/session/heartbeat', () => ({ sessionId: 'ds_unknown' }));
	await fuzzJson('POST', '/api/session/end', () => ({ sessionId: 'ds_unknown' }));
	await fuzzJson('POST', '/api/alerts/channels', () => ({ type: 'webhook', name: 'n', url: 'http://127.0.0.1:9/h', format: 'slack' }));
	await fuzzJson('POST', '/api/alerts/channels', () => ({ type: 'email', name: 'n', to: ['a@example.com'] }));
	await fuzzJson('PATCH', `/api/alerts/channels/${channelId}`, () => ({ name: 'n', url: 'http://127.0.0.1:9/h', format: 'json' }));
	await fuzzJson('POST', '/api/monitors', () => ({ key: `fz-${Math.random().toString(36).slice(2, 10)}`, name: 'n', periodSeconds: 60, graceSeconds: 5, channels: [channelId] }));
	await fuzzJson('PATCH', `/api/monitors/${MONITOR}`, () => ({ name: 'n', schedule: '0 4 * * *', timezone: 'UTC', graceSeconds: 5, channels: [] }));
	await fuzzJson('PATCH', `/api/cron/jobs/${KEY}`, () => ({
		alerts: { channels: [channelId], onFailure: 'every', onRecovery: true, onMissed: false, maxDurationMs: 60_000, noSuccessWithinMs: 3_600_000 },
		autoDisableAfter: 3
	}));
	await fuzzJson('PATCH', '/api/cron/settings', () => ({ 'alerts.defaultChannels': [channelId] }));

	for (const v of PATH_VALUES) {
		await api('GET', `/api/cron/jobs/${v}`, 'key');
		await api('PATCH', `/api/cron/jobs/${v}`, 'key', { enabled: false });
		await api('DELETE', `/api/cron/jobs/${v}-x`, 'key');
		await api('POST', `/api/cron/jobs/${v}/trigger`, 'key');
		await api('GET', `/api/cron/jobs/${v}/executions`, 'key');
		await api('GET', `/api/cron/executions/${v}`, 'id');
		await api('POST', `/api/cron/executions/${v}/cancel`, 'id');
		await api('DELETE', `/api/access-keys/${v}`, 'id');
		await api('GET', `/api/cron/${v}`, 'unknown path');
		await api('GET', `/api/alerts/channels/${v}`, 'channel id');
		await api('PATCH', `/api/alerts/channels/${v}`, 'channel id', { name: 'n' });
		await api('DELETE', `/api/alerts/channels/${v}-x`, 'channel id');
		await api('POST', `/api/alerts/channels/${v}/test`, 'channel id');
		await api('GET', `/api/monitors/${v}`, 'monitor key');
		await api('PATCH', `/api/monitors/${v}`, 'monitor key', { name: 'n' });
		await api('DELETE', `/api/monitors/${v}-x`, 'monitor key');
		await api('POST', `/api/monitors/${v}/regenerate`, 'monitor key');
		await api('GET', `/api/monitors/${v}/history`, 'monitor key');
		for (const method of ['GET', 'POST']) {
			await send(method, `/ping/${v}`, 'ping token');
			await send(method, `/ping/${pingToken}/${v}`, 'ping action');
		}
	}
	const queries: [string, string[]][] = [
		[`/api/cron/jobs/${KEY}/executions`, ['status', 'trigger', 'cursor', 'limit']],
		['/api/cron/executions', ['job', 'status', 'trigger', 'cursor', 'limit']],
		['/api/cron/schedule/preview', ['expr', 'tz', 'count', 'from', 'job']],
		['/api/cron/run', ['budgetMs']],
		['/api/alerts/notifications', ['before']],
		[`/api/monitors/${MONITOR}/history`, ['before']]
	];
	for (const [path, params] of queries) {
		for (const param of params) {
			for (const v of [...PATH_VALUES, '${CRON_SECRET}', '@${PATH}']) {
				const base = path.endsWith('preview') ? `expr=${encodeURIComponent('* * * * *')}&` : '';
				await api(path.endsWith('/run') ? 'POST' : 'GET', `${path}?${base}${param}=${v}`, `${param}=${v}`);
			}
		}
	}
	await api('GET', `/api/cron/executions/${runId}`, 'the real run');
	await api('DELETE', `/api/access-keys/${keyId}`, 'the real key');
	expect(requests).toBeGreaterThan(1_200);
	expect(failures).toEqual([]);
});

test('every form action: bad values in every field, prototype keys as names, files, malformed multipart', async () => {
	test.setTimeout(300_000);
	const jobFields = ['name', 'key', 'description', 'type', 'schedule', 'timezone', 'timeoutMs', 'maxRetries', 'overlap', 'catchUp', 'catchUpMaxAgeMs', 'enabled', 'url', 'method', 'headers', 'body', 'expectStatus', 'followRedirects', 'argv', 'cwd', 'env', 'stdin', 'killGraceMs'];
	const monitorFields = ['key', 'name', 'mode', 'period', 'schedule', 'timezone', 'grace', 'channelsMode', 'channel'];
	const actions: [string, string[]][] = [
		['/login', ['email', 'password']],
		['/admin/cron?/runNow', ['key']],
		['/admin/cron?/enable', ['key']],
		['/admin/cron?/disable', ['key']],
		['/admin/cron?/bulk', ['op', 'keys']],
		['/admin/cron/new?/create', jobFields],
		[`/admin/cron/${KEY}?/runNow`, []],
		[`/admin/cron/${KEY}?/enable`, []],
		[`/admin/cron/${KEY}?/disable`, []],
		[`/admin/cron/${KEY}?/reset`, []],
		[`/admin/cron/${KEY}?/save`, jobFields],
		[`/admin/cron/${KEY}/executions/${runId}?/cancel`, []],
		[`/admin/cron/${KEY}/executions/${runId}?/retry`, []],
		['/admin/cron/settings?/save', ['paused', 'retentionDays', 'defaultTimezone']],
		['/admin/users?/create', ['email', 'role', 'password']],
		['/admin/users?/role', ['id', 'role']],
		['/admin/users?/delete', ['id']],
		['/admin/sessions?/create', ['label', 'email']],
		['/admin/sessions?/end', ['id']],
		['/admin/sessions?/revoke', ['id']],
		['/admin/email?/retry', ['id']],
		['/admin/alerts?/create', ['type', 'name', 'url', 'format', 'to']],
		['/admin/alerts?/update', ['id', 'name', 'url', 'format', 'to']],
		['/admin/alerts?/test', ['id']],
		['/admin/alerts?/defaults', ['channel']],
		['/admin/alerts?/delete', ['id']],
		['/admin/monitors?/create', monitorFields],
		[`/admin/monitors/${MONITOR}?/update`, monitorFields],
		[`/admin/monitors/${MONITOR}?/regenerate`, []],
		[`/admin/monitors/${MONITOR}?/delete`, ['confirm']],
		[`/admin/cron/${KEY}?/alerts`, ['channelsMode', 'channel', 'onFailure', 'onRecovery', 'onMissed', 'maxDuration', 'noSuccessWithin', 'autoDisableAfter']],
		// last: it ends the fuzz's own session
		[`/admin/cron/${KEY}?/delete`, ['confirm']]
	];
	const valid: Record<string, string> = {
		name: 'Fuzz',
		key: 'fuzz-form',
		type: 'http',
		schedule: '0 0 1 1 *',
		url: 'http://127.0.0.1:9/',
		method: 'GET',
		timeoutMs: '1000',
		maxRetries: '0',
		overlap: 'forbid',
		catchUp: 'once',
		catchUpMaxAgeMs: '1000',
		email: 'fuzz@example.com',
		role: 'viewer',
		password: 'fuzz-Passw0rd-91c2',
		retentionDays: '30',
		defaultTimezone: 'UTC',
		id: '1',
		confirm: 'yes',
		format: 'json',
		to: 'a@example.com',
		mode: 'period',
		period: '1h',
		grace: '5m',
		channelsMode: 'custom',
		onFailure: 'every',
		maxDuration: '10m',
		noSuccessWithin: '1d',
		autoDisableAfter: '3',
		op: 'disable',
		keys: KEY,
		argv: 'true'
	};
	const encode = (fields: string[], override: Record<string, string> = {}) =>
		fields.map((f) => `${encodeURIComponent(f)}=${override[f] ?? encodeURIComponent(valid[f] ?? 'x')}`).join('&');
	for (const [action, fields] of actions) {
		for (const enhanced of [false, true]) {
			for (const field of fields) for (const v of FORM_VALUES) await form(action, `${field}=${v.slice(0, 20)}`, encode(fields, { [field]: v }), enhanced);
			for (const name of ['__proto__', 'constructor', 'toString', 'a%00b', '%ED%A0%80']) await form(action, `field named ${name}`, `${name}=x&${encode(fields)}`, enhanced);
			await form(action, 'text/plain body', 'key=x', enhanced, 'text/plain');
			await form(action, 'malformed multipart', '--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nno end', enhanced, 'multipart/form-data; boundary=b');
			await form(action, 'multipart without boundary', 'x', enhanced, 'multipart/form-data');
			const files = new FormData();
			for (const f of fields) files.append(f, new Blob(['file content']), 'file\u0000name.txt');
			const encoded = new Response(files);
			await form(action, 'files where text belongs', new Uint8Array(await encoded.arrayBuffer()), enhanced, encoded.headers.get('content-type')!);
		}
	}
	expect(requests).toBeGreaterThan(1_000);
	expect(failures).toEqual([]);
	// Still serving.
	expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
});
