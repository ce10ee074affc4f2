/**
 * The device-session API and access keys (README, "Device sessions and access keys") over real
 * HTTP: the route handlers of src/routes/api behind a node:http server, on booted services and
 * a real PostgreSQL. The
 * scenarios of the original design, the race of simultaneous starts, throttling, and bad input
 * on every endpoint.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accessKeyRoute from '../../../routes/api/access-keys/[id]/+server';
import * as accessKeysRoute from '../../../routes/api/access-keys/+server';
import * as endRoute from '../../../routes/api/session/end/+server';
import * as heartbeatRoute from '../../../routes/api/session/heartbeat/+server';
import * as startRoute from '../../../routes/api/session/start/+server';
import { heartbeatFastPath, type FastPath } from '../api/fast-path';
import { registerDatabaseGauges } from '../api/metrics';
import { parseConfig } from '../config';
import { listAccessKeys } from './keys';
import { clearSessionTimingCache } from './settings';
import { EXPIRED_MESSAGE, REVOKED_MESSAGE, sessionIdHash, START_LIMIT, TERMINATED_MESSAGE } from './sessions';
import { createMailer, setMailer } from '../email/transport';
import { metricsText } from '../metrics';
import { boot, shutdown, type Services } from '../runtime';
import { SECURITY_HEADERS } from '../security-headers';
import { startApiServer, type ApiServer, type RouteModule } from '../../../../tests/helpers/api-server';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { startSmtp, type TestSmtp } from '../../../../tests/helpers/smtp';

const SECRET = 'integration-secret-0123456789';

let t: TestDatabase;
let services: Services;
let api: ApiServer;
/** The same routes with the heartbeat fast path in front, as scripts/server.js serves them. */
let fast: ApiServer;
let fastHandled = 0;
let smtp: TestSmtp;
let dataDir: string;

beforeAll(async () => {
	t = await createTestDatabase();
	dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-devices-'));
	smtp = await startSmtp();
	const config = parseConfig({
		DATABASE_URL: t.url,
		DATA_DIR: dataDir,
		CRON_SECRET: SECRET,
		LOG_LEVEL: 'silent',
		ADMIN_EMAIL: 'root@example.com',
		ADMIN_PASSWORD: 'correct horse battery'
	});
	services = await boot({ config, schedule: false });
	setMailer(createMailer({ smtpUrl: smtp.url, mailFrom: 'Cronkit <cronkit@example.com>', dataDir }));
	const routes: Record<string, RouteModule> = {
		'/api/session/start': startRoute as RouteModule,
		'/api/session/heartbeat': heartbeatRoute as RouteModule,
		'/api/session/end': endRoute as RouteModule,
		'/api/access-keys': accessKeysRoute as RouteModule,
		'/api/access-keys/[id]': accessKeyRoute as RouteModule
	};
	api = await startApiServer(routes, services);
	const fastPath: FastPath = heartbeatFastPath(services.sql);
	fast = await startApiServer(routes, services, (req, res) => {
		const handled = fastPath(req, res);
		if (handled) fastHandled++;
		return handled;
	});
});

afterAll(async () => {
	await api?.close();
	await fast?.close();
	setMailer(undefined);
	await shutdown('test done');
	await smtp?.close();
	await t?.drop();
	if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

type Res = { status: number; headers: Headers; body: unknown; text: string };

let ipCounter = 0;
/** A client address of its own per test, so the start throttle never couples tests. */
const newIp = () => `10.0.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

type SendOptions = { json?: unknown; raw?: string | Uint8Array<ArrayBuffer>; ip?: string; auth?: string | null; headers?: Record<string, string>; server?: ApiServer };

async function send(method: string, p: string, opts: SendOptions = {}): Promise<Res> {
	const headers: Record<string, string> = { ...opts.headers };
	if (opts.ip) headers['x-test-client-ip'] = opts.ip;
	if (opts.auth !== null && p.startsWith('/api/access-keys')) headers.authorization = `Bearer ${opts.auth ?? SECRET}`;
	let body: string | Uint8Array<ArrayBuffer> | undefined;
	if (opts.json !== undefined) body = JSON.stringify(opts.json);
	if (opts.raw !== undefined) body = opts.raw;
	if (body !== undefined) headers['content-type'] ??= 'application/json';
	const res = await fetch(`${(opts.server ?? api).url}${p}`, { method, headers, body });
	const text = await res.text();
	let parsed: unknown = null;
	try {
		parsed = text ? JSON.parse(text) : null;
	} catch {
		parsed = null;
	}
	// Whatever the input: never a 5xx, never cacheable.
	expect(res.status, `${method} ${p} → ${res.status} ${text}`).toBeLessThan(500);
	expect(res.headers.get('cache-control')).toBe('no-store');
	return { status: res.status, headers: res.headers, body: parsed, text };
}

function expectError(res: Res, status: number, code: string, message?: string) {
	expect(res.status, res.text).toBe(status);
	expect(res.body).toEqual({ error: { code, message: expect.any(String), issues: expect.any(Array) } });
	if (message !== undefined) expect((res.body as { error: { message: string } }).error.message).toBe(message);
}

async function newKey(fields: Record<string, unknown> = {}): Promise<{ id: string; key: string; prefix: string }> {
	const res = await send('POST', '/api/access-keys', { json: fields });
	expect(res.status, res.text).toBe(201);
	return res.body as { id: string; key: string; prefix: string };
}

type Client = {
	ip: string;
	start(deviceId?: string): Promise<Res>;
	startOk(deviceId?: string): Promise<string>;
	heartbeat(sessionId: string): Promise<Res>;
	end(sessionId: string): Promise<Res>;
};

/** One device with its own address, speaking the session API with `key`. */
function device(key: string): Client {
	const ip = newIp();
	const c: Client = {
		ip,
		start: (deviceId) => send('POST', '/api/session/start', { json: { accessKey: key, deviceId }, ip }),
		async startOk(deviceId) {
			const res = await c.start(deviceId);
			expect(res.status, res.text).toBe(201);
			return (res.body as { sessionId: string }).sessionId;
		},
		heartbeat: (sessionId) => send('POST', '/api/session/heartbeat', { json: { sessionId }, ip }),
		end: (sessionId) => send('POST', '/api/session/end', { json: { sessionId }, ip })
	};
	return c;
}

const openSessions = (keyId: string) => scalar<number>(t.sql`select count(*)::int from device_session where access_key_id = ${keyId} and ended_at is null`);
const endReason = (sessionId: string) => scalar<string | null>(t.sql`select end_reason from device_session where id = ${sessionIdHash(sessionId)}`);
/** The client went silent `seconds` ago (what a crash, a lost network or a sleeping laptop look like). */
const silentFor = (sessionId: string, seconds: number) =>
	t.sql`update device_session set last_heartbeat_at = now() - make_interval(secs => ${seconds}) where id = ${sessionIdHash(sessionId)}`;

async function runCleanup(): Promise<{ output: string; result: { message: string; metrics: { ended: number } } }> {
	const { id, status } = await services.scheduler.runNow('session-cleanup', 'test');
	expect(status).toBe('succeeded');
	const [run] = await t.sql<{ output: string; result: { message: string; metrics: { ended: number } } }[]>`
		select output, result from cron_job_execution where id = ${id}`;
	return run!;
}

describe('scenarios of the original design', () => {
	it('normal use: start, heartbeats, end', async () => {
		const { id, key } = await newKey({ label: 'normal' });
		const app = device(key);
		const start = await app.start('laptop-1');
		expect(start.status).toBe(201);
		expect(start.body).toEqual({ sessionId: expect.stringMatching(/^ds_/), heartbeatIntervalSeconds: 30, timeoutSeconds: 60 });
		const sessionId = (start.body as { sessionId: string }).sessionId;
		for (let i = 0; i < 3; i++) {
			const hb = await app.heartbeat(sessionId);
			expect(hb.status).toBe(200);
			expect(hb.body).toEqual({ ok: true });
		}
		expect(await scalar(t.sql`select device_id from device_session where id = ${sessionIdHash(sessionId)}`)).toBe('laptop-1');
		// Only the id's hash is stored: the table holds no usable credential, and the hash is not one.
		expect(await scalar(t.sql`select count(*)::int from device_session where id = ${sessionId}`)).toBe(0);
		expectError(await send('POST', '/api/session/heartbeat', { json: { sessionId: sessionIdHash(sessionId) } }), 404, 'not_found');
		const end = await app.end(sessionId);
		expect(end.status).toBe(204);
		expect(end.text).toBe('');
		expect(await endReason(sessionId)).toBe('ended');
		expect(await openSessions(id)).toBe(0);
		// ending again is fine; heartbeating an ended session is not
		expect((await app.end(sessionId)).status).toBe(204);
		expectError(await app.heartbeat(sessionId), 410, 'session_expired', EXPIRED_MESSAGE);
	});

	it('the app crashes: session-cleanup ends its stale session and the user starts again', async () => {
		const { id, key } = await newKey({ label: 'crash' });
		const app = device(key);
		const crashed = await app.startOk();
		await silentFor(crashed, 61);
		const run = await runCleanup();
		expect(run.result.metrics.ended).toBeGreaterThanOrEqual(1);
		expect(run.output).toMatch(/ended \d+ sessions without a heartbeat for 60 s/);
		expect(await endReason(crashed)).toBe('expired');
		expect(await openSessions(id)).toBe(0);
		const restarted = await app.startOk();
		expect((await app.heartbeat(restarted)).status).toBe(200);
		expectError(await app.heartbeat(crashed), 410, 'session_expired', EXPIRED_MESSAGE);
	});

	it('network loss past the timeout: the next heartbeat is a 410, and the session is over', async () => {
		const { id, key } = await newKey({ label: 'network' });
		const app = device(key);
		const sessionId = await app.startOk();
		expect((await app.heartbeat(sessionId)).status).toBe(200);
		await silentFor(sessionId, 59);
		expect((await app.heartbeat(sessionId)).status).toBe(200); // within the timeout: fine
		await silentFor(sessionId, 65);
		expectError(await app.heartbeat(sessionId), 410, 'session_expired', EXPIRED_MESSAGE);
		expect(await endReason(sessionId)).toBe('expired');
		expect(await openSessions(id)).toBe(0);
		expectError(await app.heartbeat(sessionId), 410, 'session_expired');
	});

	it('two devices ping-ponging one key: each start replaces the other, the loser gets 409', async () => {
		const { id, key } = await newKey({ label: 'ping-pong' });
		const phone = device(key);
		const tablet = device(key);
		let phoneSession = await phone.startOk('phone');
		for (let round = 0; round < 3; round++) {
			const tabletSession = await tablet.startOk('tablet');
			expect(await endReason(phoneSession)).toBe('replaced');
			expectError(await phone.heartbeat(phoneSession), 409, 'session_terminated', TERMINATED_MESSAGE);
			expect((await tablet.heartbeat(tabletSession)).status).toBe(200);
			expect(await openSessions(id)).toBe(1);

			phoneSession = await phone.startOk('phone');
			expectError(await tablet.heartbeat(tabletSession), 409, 'session_terminated', TERMINATED_MESSAGE);
			expect((await phone.heartbeat(phoneSession)).status).toBe(200);
			expect(await openSessions(id)).toBe(1);
		}
		// the loser keeps getting 409 (not 410) however often it retries
		const counts = await t.sql<{ reason: string; n: number }[]>`
			select end_reason as reason, count(*)::int as n from device_session where access_key_id = ${id} group by 1 order by 1`;
		expect(counts).toEqual([
			{ reason: 'replaced', n: 6 },
			{ reason: null, n: 1 }
		]);
	});

	it('a laptop sleeps past the timeout and wakes: 410, then a new start works', async () => {
		const { key } = await newKey({ label: 'laptop' });
		const laptop = device(key);
		const before = await laptop.startOk('laptop');
		await silentFor(before, 3600); // an hour with the lid closed
		expectError(await laptop.heartbeat(before), 410, 'session_expired', EXPIRED_MESSAGE);
		const after = await laptop.startOk('laptop');
		expect(after).not.toBe(before);
		expect((await laptop.heartbeat(after)).status).toBe(200);
		// a cleanup run meanwhile changes nothing for the fresh session
		await runCleanup();
		expect((await laptop.heartbeat(after)).status).toBe(200);
	});

	it('simultaneous starts on one key: exactly one open session, every start answered, no 5xx', async () => {
		const { id, key } = await newKey({ label: 'race' });
		const devices = Array.from({ length: 12 }, () => device(key));
		const results = await Promise.all(devices.map((d, i) => d.start(`device-${i}`)));
		for (const r of results) expect(r.status, r.text).toBe(201);
		const ids = results.map((r) => (r.body as { sessionId: string }).sessionId);
		expect(new Set(ids).size).toBe(ids.length);
		expect(await openSessions(id)).toBe(1);
		const [open] = await t.sql<{ id: string }[]>`select id from device_session where access_key_id = ${id} and ended_at is null`;
		expect(ids.map(sessionIdHash)).toContain(open!.id);
		// the winner is the last start to commit: every other session was replaced, and says so
		const beats = await Promise.all(devices.map((d, i) => d.heartbeat(ids[i]!)));
		expect(beats.filter((b) => b.status === 200)).toHaveLength(1);
		expect(beats.filter((b) => b.status === 409)).toHaveLength(ids.length - 1);
	});

	it('the database refuses a second open session per key, whatever the code does', async () => {
		const { id, key } = await newKey();
		await device(key).startOk();
		await expect(t.sql`insert into device_session (id, access_key_id) values ('ds_manual', ${id})`).rejects.toMatchObject({
			code: '23505',
			constraint_name: 'device_session_open_uq'
		});
	});

	it('a revoked key: its session ends (410 session_revoked) and it cannot start again (401)', async () => {
		const { id, key } = await newKey({ label: 'to revoke' });
		const app = device(key);
		const sessionId = await app.startOk();
		expect((await send('DELETE', `/api/access-keys/${id}`)).status).toBe(204);
		expect(await endReason(sessionId)).toBe('revoked');
		expectError(await app.heartbeat(sessionId), 410, 'session_revoked', REVOKED_MESSAGE);
		expectError(await app.start(), 401, 'invalid_access_key');
		// revoking again is a no-op 204
		expect((await send('DELETE', `/api/access-keys/${id}`)).status).toBe(204);
		const audits = await scalar<number>(t.sql`select count(*)::int from audit_log where entity = 'access_key' and entity_id = ${id} and action = 'access_key.revoke'`);
		expect(audits).toBe(1);
	});

	it('uses the timeout of the session-cleanup job when an admin changes it', async () => {
		await t.sql`update cron_job set params = ${t.sql.json({ timeoutSeconds: 120 })} where key = 'session-cleanup'`;
		clearSessionTimingCache(services.sql);
		try {
			const { key } = await newKey();
			const app = device(key);
			const start = await app.start();
			expect(start.body).toMatchObject({ heartbeatIntervalSeconds: 30, timeoutSeconds: 120 });
			const sessionId = (start.body as { sessionId: string }).sessionId;
			await silentFor(sessionId, 90);
			expect((await app.heartbeat(sessionId)).status).toBe(200);
		} finally {
			await t.sql`update cron_job set params = '{}' where key = 'session-cleanup'`;
			clearSessionTimingCache(services.sql);
		}
	});
});

describe('start throttling', () => {
	it(`allows ${START_LIMIT} starts a minute per address, then 429 with Retry-After`, async () => {
		const { key } = await newKey();
		const ip = newIp();
		for (let i = 0; i < START_LIMIT; i++) {
			const res = await send('POST', '/api/session/start', { json: { accessKey: key }, ip });
			expect(res.status, `start ${i + 1}`).toBe(201);
		}
		const limited = await send('POST', '/api/session/start', { json: { accessKey: key }, ip });
		expectError(limited, 429, 'rate_limited');
		const retryAfter = Number(limited.headers.get('retry-after'));
		expect(retryAfter).toBeGreaterThanOrEqual(1);
		expect(retryAfter).toBeLessThanOrEqual(60);
		// wrong keys count too (guessing costs the same), other addresses are not affected
		expectError(await send('POST', '/api/session/start', { json: { accessKey: 'ck_guess' }, ip }), 429, 'rate_limited');
		expect((await send('POST', '/api/session/start', { json: { accessKey: key }, ip: newIp() })).status).toBe(201);
	});
});

describe('bad input on every endpoint: the right 4xx and the error shape, never a 5xx', () => {
	const endpoints = ['/api/session/start', '/api/session/heartbeat', '/api/session/end', '/api/access-keys'];
	const malformed: [string, string][] = [
		['truncated JSON', '{"accessKey": "ck_'],
		['not JSON', 'hello'],
		['empty body', ''],
		['single quotes', "{'sessionId': 'x'}"]
	];

	for (const p of endpoints) {
		it(`${p}: malformed JSON is a 400 invalid_json`, async () => {
			for (const [what, raw] of malformed) {
				const res = await send('POST', p, { raw, ip: newIp() });
				expect(res.status, `${what}: ${res.text}`).toBe(400);
				expectError(res, 400, 'invalid_json');
			}
		});

		it(`${p}: a JSON value that is not an object is a 400 invalid_input`, async () => {
			for (const raw of ['[]', 'null', '42', '"x"', 'true']) expectError(await send('POST', p, { raw, ip: newIp() }), 400, 'invalid_input');
		});

		it(`${p}: a body over 1 MB is a 413`, async () => {
			const raw = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
			expectError(await send('POST', p, { raw, ip: newIp() }), 413, 'payload_too_large');
		});

		it(`${p}: another method is a 405 naming the allowed ones`, async () => {
			const res = await send('PUT', p, { json: {}, ip: newIp() });
			expectError(res, 405, 'method_not_allowed');
			expect(res.headers.get('allow')).toBeTruthy();
		});
	}

	it('start: wrong types and missing fields name the field', async () => {
		const cases: [unknown, string][] = [
			[{}, 'accessKey'],
			[{ accessKey: 42 }, 'accessKey'],
			[{ accessKey: '' }, 'accessKey'],
			[{ accessKey: ['ck_x'] }, 'accessKey'],
			[{ accessKey: 'x'.repeat(300) }, 'accessKey'],
			[{ accessKey: 'ck_x', deviceId: 7 }, 'deviceId'],
			[{ accessKey: 'ck_x', deviceId: 'd'.repeat(201) }, 'deviceId']
		];
		for (const [json, field] of cases) {
			const res = await send('POST', '/api/session/start', { json, ip: newIp() });
			expectError(res, 400, 'invalid_input');
			expect((res.body as { error: { issues: { path: string }[] } }).error.issues[0]!.path).toBe(field);
		}
	});

	it('start: an unknown key, a revoked key, a key of another format are 401', async () => {
		const { id, key } = await newKey();
		await send('DELETE', `/api/access-keys/${id}`);
		for (const accessKey of [`ck_${'A'.repeat(43)}`, key, 'not-a-key', key.slice(0, -1)]) {
			expectError(await send('POST', '/api/session/start', { json: { accessKey }, ip: newIp() }), 401, 'invalid_access_key');
		}
	});

	it('heartbeat and end: wrong types are 400, unknown sessions 404', async () => {
		for (const p of ['/api/session/heartbeat', '/api/session/end']) {
			for (const json of [{}, { sessionId: 1 }, { sessionId: null }, { sessionId: '' }, { sessionId: { id: 'x' } }, { sessionId: 's'.repeat(201) }]) {
				const res = await send('POST', p, { json });
				expectError(res, 400, 'invalid_input');
				expect((res.body as { error: { issues: { path: string }[] } }).error.issues[0]!.path).toBe('sessionId');
			}
			for (const sessionId of ['ds_unknown', "'; drop table device_session; --", '🙂']) {
				expectError(await send('POST', p, { json: { sessionId } }), 404, 'not_found');
			}
		}
	});

	it('access keys: unauthenticated is 401, bad fields 400, unknown id 404', async () => {
		expectError(await send('GET', '/api/access-keys', { auth: null }), 401, 'unauthorized');
		expectError(await send('POST', '/api/access-keys', { json: {}, auth: null }), 401, 'unauthorized');
		expectError(await send('POST', '/api/access-keys', { json: {}, auth: 'wrong-secret-0123456789' }), 401, 'unauthorized');
		expectError(await send('DELETE', '/api/access-keys/x', { auth: null }), 401, 'unauthorized');
		for (const [json, field] of [
			[{ email: 'not-an-email' }, 'email'],
			[{ email: 42 }, 'email'],
			[{ label: 5 }, 'label'],
			[{ label: 'l'.repeat(101) }, 'label'],
			[{ admin: true }, '(body)']
		] as const) {
			const res = await send('POST', '/api/access-keys', { json });
			expectError(res, 400, 'invalid_input');
			expect((res.body as { error: { issues: { path: string }[] } }).error.issues[0]!.path).toBe(field);
		}
		expectError(await send('DELETE', '/api/access-keys/no-such-key'), 404, 'not_found');
		expectError(await send('DELETE', `/api/access-keys/${'x'.repeat(101)}`), 400, 'invalid_input');
	});
});

describe('access keys', () => {
	it('creates a key shown once, stores only its hash, lists it with its active session', async () => {
		const created = await newKey({ label: 'Front desk' });
		expect(created.key).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
		expect(created.prefix).toBe(created.key.slice(0, 11));
		const stored = await t.sql`select * from access_key where id = ${created.id}`;
		expect(JSON.stringify(stored)).not.toContain(created.key.slice(3));
		const audit = await t.sql`select after from audit_log where entity = 'access_key' and entity_id = ${created.id}`;
		expect(JSON.stringify(audit)).not.toContain(created.key.slice(3));

		const app = device(created.key);
		await app.startOk('kiosk-7');
		const list = await send('GET', '/api/access-keys');
		expect(list.status).toBe(200);
		const entry = (list.body as { accessKeys: Record<string, unknown>[] }).accessKeys.find((k) => k.id === created.id);
		expect(entry).toMatchObject({
			id: created.id,
			prefix: created.prefix,
			label: 'Front desk',
			email: null,
			revokedAt: null,
			activeSession: { deviceId: 'kiosk-7', startedAt: expect.any(String), lastHeartbeatAt: expect.any(String) }
		});
		expect(JSON.stringify(list.body)).not.toContain(created.key);
	});

	it('searches keys by label, email, prefix or device (wildcards taken literally) and limits the list', async () => {
		const needle = await newKey({ label: 'Needle 100% _x', email: 'needle@example.com' });
		await device(needle.key).startOk('needle-device');
		const sql = services.sql;
		const ids = async (q: string) => (await listAccessKeys(sql, { q })).map((k) => k.id);
		expect(await ids('needle 100%')).toEqual([needle.id]);
		expect(await ids('NEEDLE@EXAMPLE')).toEqual([needle.id]);
		expect(await ids(needle.prefix)).toEqual([needle.id]);
		expect(await ids('needle-dev')).toEqual([needle.id]);
		expect(await ids('100%%')).toEqual([]);
		expect(await ids('Needle_1')).toEqual([]);
		expect(await listAccessKeys(sql, { limit: 2 })).toHaveLength(2);
	});

	it('emails a new key through the outbox when an address is given, then redacts it from the outbox', async () => {
		const before = smtp.received.length;
		const created = await newKey({ label: 'Mail me', email: 'Dana@Example.com' });
		// nodemailer lower-cases the domain on the envelope
		const mail = smtp.received.slice(before).find((m) => m.to.some((a) => a.toLowerCase() === 'dana@example.com'));
		expect(mail?.subject).toBe('Your Cronkit access key');
		expect(mail?.raw).toContain(created.key);
		const [row] = await t.sql<{ status: string; text: string; kind: string }[]>`select status, text, kind from email_outbox where "to" = 'Dana@Example.com'`;
		expect(row).toMatchObject({ status: 'sent', kind: 'access_key' });
		expect(row!.text).not.toContain(created.key);
		expect(row!.text).toContain('[redacted once sent]');
	});
});

describe('the heartbeat fast path (scripts/server.js) answers as the route does', () => {
	const HB = '/api/session/heartbeat';
	type Case = { what: string; setup: () => Promise<SendOptions>; fastPath: boolean; method?: string };
	const open = async () => device((await newKey()).key).startOk();
	const cases: Case[] = [
		{ what: 'an open session: 200', fastPath: true, setup: async () => ({ json: { sessionId: await open() } }) },
		{
			what: 'a charset in the content type: 200',
			fastPath: true,
			setup: async () => ({ json: { sessionId: await open() }, headers: { 'content-type': 'application/json; charset=utf-8' } })
		},
		{
			what: 'a replaced session: 409 session_terminated',
			fastPath: true,
			setup: async () => {
				const { key } = await newKey();
				const first = await device(key).startOk();
				await device(key).startOk();
				return { json: { sessionId: first } };
			}
		},
		{
			what: 'an ended session: 410 session_expired',
			fastPath: true,
			setup: async () => {
				const sessionId = await open();
				await send('POST', '/api/session/end', { json: { sessionId } });
				return { json: { sessionId } };
			}
		},
		{
			what: 'a stale session: 410 session_expired',
			fastPath: true,
			setup: async () => {
				const sessionId = await open();
				await silentFor(sessionId, 61);
				return { json: { sessionId } };
			}
		},
		{
			what: 'a revoked key: 410 session_revoked',
			fastPath: true,
			setup: async () => {
				const { id, key } = await newKey();
				const sessionId = await device(key).startOk();
				await send('DELETE', `/api/access-keys/${id}`);
				return { json: { sessionId } };
			}
		},
		{ what: 'an unknown session: 404', fastPath: true, setup: async () => ({ json: { sessionId: 'ds_unknown' } }) },
		{ what: 'a wrong type: 400 naming sessionId', fastPath: true, setup: async () => ({ json: { sessionId: 7 } }) },
		{ what: 'truncated JSON: 400 invalid_json', fastPath: true, setup: async () => ({ raw: '{"sessionId": "ds_' }) },
		{ what: 'an empty body: 400 invalid_json', fastPath: true, setup: async () => ({ raw: '' }) },
		{ what: 'not UTF-8: 400 invalid_json', fastPath: true, setup: async () => ({ raw: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }) },
		{ what: 'an array: 400 invalid_input', fastPath: true, setup: async () => ({ raw: '[]' }) },
		{ what: 'NUL in the id ({"sessionId":"a\\u0000"}): 400 naming sessionId', fastPath: true, setup: async () => ({ raw: '{"sessionId":"a\\u0000"}' }) },
		{ what: 'an unpaired surrogate in the id: 400 naming sessionId', fastPath: true, setup: async () => ({ raw: '{"sessionId":"a\\ud800"}' }) },
		{ what: 'over 1 MB: 413', fastPath: true, setup: async () => ({ raw: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }) }) },
		// left to SvelteKit
		{ what: 'another method: 405', fastPath: false, method: 'PUT', setup: async () => ({ json: {} }) },
		{ what: 'no content type: 400', fastPath: false, setup: async () => ({ raw: '{"sessionId":"x"}', headers: { 'content-type': '' } }) },
		{ what: 'text/plain: answered by the route', fastPath: false, setup: async () => ({ raw: '{"sessionId":"ds_unknown"}', headers: { 'content-type': 'text/plain' } }) },
		{ what: 'a cookie: answered by the route', fastPath: false, setup: async () => ({ json: { sessionId: 'ds_unknown' }, headers: { cookie: 'x=1' } }) }
	];

	it('NUL or an unpaired surrogate in sessionId is a 400 naming it on both paths (was a 500)', async () => {
		for (const raw of ['{"sessionId":"a\\u0000"}', '{"sessionId":"a\\udc00"}']) {
			for (const server of [api, fast]) {
				const res = await send('POST', HB, { raw, server });
				expectError(res, 400, 'invalid_input');
				expect((res.body as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual(['sessionId']);
			}
		}
	});

	it('a body shorter than its Content-Length: 408 within 10 s, the connection closed', async () => {
		const { port } = new URL(fast.url);
		const started = Date.now();
		const reply = await new Promise<string>((resolve, reject) => {
			const socket = net.connect(Number(port), '127.0.0.1', () => {
				socket.write(`POST ${HB} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sessionId":`);
			});
			let text = '';
			socket.on('data', (d) => (text += d.toString()));
			socket.on('close', () => resolve(text));
			socket.on('error', reject);
			socket.setTimeout(20_000, () => socket.destroy(new Error(`no answer within 20 s: ${text}`)));
		});
		expect(reply).toMatch(/^HTTP\/1\.1 408 /);
		expect(reply.toLowerCase()).toContain('connection: close');
		expect(reply).toContain('"code":"request_timeout"');
		expect(Date.now() - started).toBeLessThan(10_000);
	});

	for (const c of cases) {
		it(c.what, async () => {
			// Each server gets a request of its own, from the same situation.
			const [viaRoute, viaFast] = [await c.setup(), await c.setup()];
			const route = await send(c.method ?? 'POST', HB, viaRoute);
			const before = fastHandled;
			const quick = await send(c.method ?? 'POST', HB, { ...viaFast, server: fast });
			expect(fastHandled - before, 'answered by the fast path').toBe(c.fastPath ? 1 : 0);
			expect(quick.status, quick.text).toBe(route.status);
			const shape = (r: Res) => {
				const b = r.body as { error?: { message: string } } | null;
				// the ids in "not found" messages differ between the two requests; the codes may not
				return b?.error ? { ...b, error: { ...b.error, message: b.error.message.replace(/ds_[\w-]+/g, 'ds_…') } } : b;
			};
			expect(shape(quick)).toEqual(shape(route));
			for (const h of ['content-type', 'cache-control', 'allow', 'retry-after']) expect(quick.headers.get(h), h).toBe(route.headers.get(h));
			if (c.fastPath) for (const [h, v] of Object.entries(SECURITY_HEADERS)) expect(quick.headers.get(h), h).toBe(v);
		});
	}
});

describe('metrics', () => {
	it('exposes open sessions, sessions ended by reason, heartbeats and the outbox by status', async () => {
		registerDatabaseGauges(services.sql);
		const { body } = await metricsText();
		const value = (re: RegExp) => Number(re.exec(body)?.[1] ?? NaN);
		const open = await scalar<number>(t.sql`select count(*)::int from device_session where ended_at is null`);
		expect(value(/^cronkit_device_sessions_open (\d+)$/m)).toBe(open);
		expect(value(/^cronkit_device_sessions_ended_total\{reason="replaced"\} (\d+)$/m)).toBeGreaterThanOrEqual(6);
		expect(value(/^cronkit_device_sessions_ended_total\{reason="expired"\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
		expect(value(/^cronkit_device_sessions_ended_total\{reason="revoked"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
		expect(value(/^cronkit_device_heartbeats_total\{result="ok"\} (\d+)$/m)).toBeGreaterThan(5);
		expect(value(/^cronkit_device_heartbeats_total\{result="terminated"\} (\d+)$/m)).toBeGreaterThanOrEqual(6);
		expect(value(/^cronkit_device_sessions_started_total (\d+)$/m)).toBeGreaterThan(10);
		expect(value(/^cronkit_email_outbox\{status="sent"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
		expect(body).toMatch(/^cronkit_email_outbox\{status="failed"\} 0$/m);
	});
});
