/**
 * The device-session API and access keys (README, "Device sessions and access keys") over real
 * HTTP against the built
 * app. Every start here comes from the same address (the throttle allows 30 a minute), so the
 * fuller scenarios and the throttle itself are in src/lib/server/devices/devices.int.test.ts; these
 * check the built app end to end.
 */
import { test as base, expect, type APIResponse } from '@playwright/test';
import { CronApi, expectApiError } from '../helpers/api';

const test = base.extend<{ api: CronApi }>({
	api: async ({ request }, use) => {
		await use(new CronApi(request));
	}
});

const raw = (text: string) => Buffer.from(text, 'utf8');

async function newKey(api: CronApi, label: string): Promise<{ id: string; key: string; prefix: string }> {
	const res = await api.post('/api/access-keys', { data: { label } });
	expect(res.status(), await res.text()).toBe(201);
	return res.json();
}

/** The session API takes no bearer: the access key (or session id) in the body is the credential. */
const session = (api: CronApi, path: string, data: unknown, headers?: Record<string, string>): Promise<APIResponse> =>
	api.post(`/api/session/${path}`, { data, token: null, headers });

test('normal use: start, heartbeats, end; then the ended session is refused', async ({ api }) => {
	const { key } = await newKey(api, 'e2e normal');
	const start = await session(api, 'start', { accessKey: key, deviceId: 'e2e-normal' });
	expect(start.status()).toBe(201);
	const body = await start.json();
	expect(body).toEqual({ sessionId: expect.any(String), heartbeatIntervalSeconds: 30, timeoutSeconds: 60 });
	for (let i = 0; i < 3; i++) {
		const hb = await session(api, 'heartbeat', { sessionId: body.sessionId });
		expect(hb.status()).toBe(200);
		expect(await hb.json()).toEqual({ ok: true });
	}
	const end = await session(api, 'end', { sessionId: body.sessionId });
	expect(end.status()).toBe(204);
	expect((await session(api, 'end', { sessionId: body.sessionId })).status()).toBe(204);
	const after = await expectApiError(await session(api, 'heartbeat', { sessionId: body.sessionId }), 410, 'session_expired');
	expect(after.message).toBe('Session expired, please restart the app.');
});

test('two devices on one key: the later start wins, the loser hears 409 with the exact message', async ({ api }) => {
	const { id, key } = await newKey(api, 'e2e ping-pong');
	const a = (await (await session(api, 'start', { accessKey: key, deviceId: 'A' })).json()).sessionId;
	const b = (await (await session(api, 'start', { accessKey: key, deviceId: 'B' })).json()).sessionId;
	const lost = await expectApiError(await session(api, 'heartbeat', { sessionId: a }), 409, 'session_terminated');
	expect(lost.message).toBe('Session terminated. Another device is using this key.');
	expect((await session(api, 'heartbeat', { sessionId: b })).status()).toBe(200);

	const list = await (await api.get('/api/access-keys')).json();
	const entry = list.accessKeys.find((k: { id: string }) => k.id === id);
	expect(entry.activeSession).toMatchObject({ deviceId: 'B' });
});

test('simultaneous starts on one key: one open session, no 5xx', async ({ api }) => {
	const { id, key } = await newKey(api, 'e2e race');
	const starts = await Promise.all(Array.from({ length: 6 }, (_, i) => session(api, 'start', { accessKey: key, deviceId: `race-${i}` })));
	for (const s of starts) expect(s.status()).toBe(201);
	const ids: string[] = await Promise.all(starts.map(async (s) => (await s.json()).sessionId));
	const beats = await Promise.all(ids.map((sessionId) => session(api, 'heartbeat', { sessionId })));
	expect(beats.map((b) => b.status()).sort()).toEqual([200, 409, 409, 409, 409, 409]);
	const list = await (await api.get('/api/access-keys')).json();
	expect(list.accessKeys.find((k: { id: string }) => k.id === id).activeSession).not.toBeNull();
});

test('bad input on every session endpoint: the right 4xx in the error shape', async ({ api }) => {
	for (const path of ['start', 'heartbeat', 'end']) {
		await expectApiError(await session(api, path, raw('{"sessionId": '), { 'content-type': 'application/json' }), 400, 'invalid_json');
		await expectApiError(await session(api, path, raw('[1]'), { 'content-type': 'application/json' }), 400, 'invalid_input');
		await expectApiError(await session(api, path, { sessionId: 5, accessKey: 5 }), 400, 'invalid_input');
		await expectApiError(await api.get(`/api/session/${path}`, { token: null }), 405, 'method_not_allowed');
	}
	await expectApiError(await session(api, 'start', { accessKey: 'ck_unknown' }), 401, 'invalid_access_key');
	await expectApiError(await session(api, 'heartbeat', { sessionId: 'ds_unknown' }), 404, 'not_found');
	await expectApiError(await session(api, 'end', { sessionId: 'ds_unknown' }), 404, 'not_found');
	await expectApiError(await session(api, 'heartbeat', { sessionId: 'x'.repeat(300) }), 400, 'invalid_input', 'sessionId');
});

test('access keys API: bearer required, key shown once, revoke ends the session (204), 404 for unknown ids', async ({ api }) => {
	await expectApiError(await api.get('/api/access-keys', { token: null }), 401, 'unauthorized');
	await expectApiError(await api.post('/api/access-keys', { data: { email: 'nope' } }), 400, 'invalid_input', 'email');
	const { id, key, prefix } = await newKey(api, 'e2e revoke');
	expect(prefix).toBe(key.slice(0, 11));
	const { sessionId } = await (await session(api, 'start', { accessKey: key })).json();
	const list = await (await api.get('/api/access-keys')).json();
	expect(JSON.stringify(list)).not.toContain(key);
	expect((await api.delete(`/api/access-keys/${id}`)).status()).toBe(204);
	expect((await api.delete(`/api/access-keys/${id}`)).status()).toBe(204);
	await expectApiError(await session(api, 'heartbeat', { sessionId }), 410, 'session_revoked');
	await expectApiError(await session(api, 'start', { accessKey: key }), 401, 'invalid_access_key');
	await expectApiError(await api.delete('/api/access-keys/no-such-key'), 404, 'not_found');
});

test('/metrics carries device sessions and the outbox', async ({ request }) => {
	const text = await (await request.get('/metrics')).text();
	for (const name of ['cronkit_device_sessions_open', 'cronkit_device_sessions_started_total', 'cronkit_device_heartbeats_total', 'cronkit_email_outbox']) {
		expect(text).toContain(`# TYPE ${name} `);
	}
});
