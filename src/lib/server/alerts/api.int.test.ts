/**
 * The alerts and monitors API over real HTTP, on a booted runtime (web role: no scheduler) and a
 * real PostgreSQL: channels (secrets write-only, egress policy, Send test to a real receiver),
 * job alert rules, monitors, and the ping URLs through both their SvelteKit route and the fast
 * path that `npm start` puts in front of it, which must answer alike.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as channelTestRoute from '../../../routes/api/alerts/channels/[id]/test/+server';
import * as channelRoute from '../../../routes/api/alerts/channels/[id]/+server';
import * as channelsRoute from '../../../routes/api/alerts/channels/+server';
import * as notificationsRoute from '../../../routes/api/alerts/notifications/+server';
import * as jobRoute from '../../../routes/api/cron/jobs/[key]/+server';
import * as jobsRoute from '../../../routes/api/cron/jobs/+server';
import * as settingsRoute from '../../../routes/api/cron/settings/+server';
import * as monitorHistoryRoute from '../../../routes/api/monitors/[key]/history/+server';
import * as monitorRegenerateRoute from '../../../routes/api/monitors/[key]/regenerate/+server';
import * as monitorRoute from '../../../routes/api/monitors/[key]/+server';
import * as monitorsRoute from '../../../routes/api/monitors/+server';
import * as pingActionRoute from '../../../routes/ping/[token]/[action]/+server';
import * as pingRoute from '../../../routes/ping/[token]/+server';
import { registerDatabaseGauges } from '../api/metrics';
import { parseConfig } from '../config';
import { metricsText } from '../metrics';
import { pingFastPath } from '../monitors/ping-http';
import { boot, shutdown, type Services } from '../runtime';
import { startApiServer, type ApiServer, type RouteModule } from '../../../../tests/helpers/api-server';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { metricsProblems } from '../../../../tests/helpers/metrics-lint';
import { startReceiver, type Receiver } from '../../../../tests/helpers/receiver';

const SECRET = 'integration-secret-0123456789';

let t: TestDatabase;
let services: Services;
let api: ApiServer;
/** The same routes with the ping fast path in front, as scripts/server.js serves them. */
let fast: ApiServer;
let fastHandled = 0;
let hook: Receiver;
let dataDir: string;

beforeAll(async () => {
	t = await createTestDatabase();
	dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-alerts-api-'));
	hook = await startReceiver();
	const config = parseConfig({ DATABASE_URL: t.url, DATA_DIR: dataDir, CRON_SECRET: SECRET, LOG_LEVEL: 'silent', ORIGIN: 'https://cron.example.com' });
	services = await boot({ config, schedule: false });
	const routes: Record<string, RouteModule> = {
		'/api/alerts/channels': channelsRoute as RouteModule,
		'/api/alerts/channels/[id]': channelRoute as RouteModule,
		'/api/alerts/channels/[id]/test': channelTestRoute as RouteModule,
		'/api/alerts/notifications': notificationsRoute as RouteModule,
		'/api/cron/jobs': jobsRoute as RouteModule,
		'/api/cron/jobs/[key]': jobRoute as RouteModule,
		'/api/cron/settings': settingsRoute as RouteModule,
		'/api/monitors': monitorsRoute as RouteModule,
		'/api/monitors/[key]': monitorRoute as RouteModule,
		'/api/monitors/[key]/regenerate': monitorRegenerateRoute as RouteModule,
		'/api/monitors/[key]/history': monitorHistoryRoute as RouteModule,
		'/ping/[token]': pingRoute as RouteModule,
		'/ping/[token]/[action]': pingActionRoute as RouteModule
	};
	api = await startApiServer(routes, services);
	const fastPath = pingFastPath(services.sql);
	fast = await startApiServer(routes, services, (req, res) => {
		const handled = fastPath(req, res);
		if (handled) fastHandled++;
		return handled;
	});
});

afterAll(async () => {
	await api?.close();
	await fast?.close();
	await shutdown('test done');
	await hook?.close();
	await t?.drop();
	if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

type Res = { status: number; headers: Headers; body: Record<string, unknown>; text: string };

async function send(method: string, p: string, opts: { json?: unknown; raw?: string | Uint8Array<ArrayBuffer>; headers?: Record<string, string>; server?: ApiServer; auth?: boolean } = {}): Promise<Res> {
	const headers: Record<string, string> = { ...(opts.auth === false ? {} : { authorization: `Bearer ${SECRET}` }), ...opts.headers };
	let body: string | Uint8Array<ArrayBuffer> | undefined;
	if (opts.json !== undefined) {
		body = JSON.stringify(opts.json);
		headers['content-type'] ??= 'application/json';
	}
	if (opts.raw !== undefined) body = opts.raw;
	const res = await fetch(`${(opts.server ?? api).url}${p}`, { method, headers, body });
	const text = await res.text();
	let parsed: Record<string, unknown> = {};
	try {
		parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
	} catch {
		parsed = {};
	}
	expect(res.status, `${method} ${p} → ${res.status} ${text}`).toBeLessThan(500);
	expect(res.headers.get('cache-control')).toBe('no-store');
	return { status: res.status, headers: res.headers, body: parsed, text };
}

/** A 400 (or other status) in the API's error shape whose first issue is `field`. */
function expectField(res: Res, field: string, status = 400) {
	expect(res.status, res.text).toBe(status);
	const error = res.body.error as { code: string; message: string; issues: { path: string }[] };
	expect(error.issues[0]?.path, res.text).toBe(field);
	expect(error.message.startsWith(`${field}: `), res.text).toBe(true);
}

describe('channels', () => {
	it('a webhook URL is write-only: encrypted at rest, masked in every answer and the audit log', async () => {
		const url = `${hook.url}/T0001/B0002/SlackSecretToken123`;
		const created = await send('POST', '/api/alerts/channels', { json: { type: 'webhook', name: 'Ops Slack', url, format: 'slack' } });
		expect(created.status, created.text).toBe(201);
		const channel = created.body.channel as { id: string; url: string };
		expect(channel).toEqual({
			id: expect.stringMatching(/^ch_/),
			name: 'Ops Slack',
			type: 'webhook',
			format: 'slack',
			url: `http://127.0.0.1:${hook.port}/••••`,
			createdAt: expect.any(String),
			createdBy: 'api',
			updatedAt: expect.any(String),
			updatedBy: 'api'
		});
		const listed = await send('GET', '/api/alerts/channels');
		expect(listed.text).not.toContain('SlackSecretToken123');
		const [stored] = await t.sql<{ url: string }[]>`select url from notification_channel where id = ${channel.id}`;
		expect(stored!.url).toMatch(/^enc:v1:/);
		const audit = JSON.stringify(await t.sql`select * from audit_log where entity = 'notification_channel'`);
		expect(audit).toContain(channel.id);
		expect(audit).not.toContain('SlackSecretToken123');

		// An edit that sends the masked URL back keeps the stored one; a test still reaches it.
		const renamed = await send('PATCH', `/api/alerts/channels/${channel.id}`, { json: { name: 'Ops', url: channel.url } });
		expect(renamed.status, renamed.text).toBe(200);
		const test = await send('POST', `/api/alerts/channels/${channel.id}/test`);
		expect(test.status, test.text).toBe(200);
		expect(test.body.notification).toMatchObject({ event: 'test', status: 'delivered', attempts: 1, lastError: null });
		const hit = hook.hits.at(-1)!;
		expect(hit.path).toBe('/hook/T0001/B0002/SlackSecretToken123');
		expect(hit.body).toEqual({ text: expect.stringMatching(/^Test notification from Cronkit to the channel "Ops" at .* UTC: alerts will arrive here — https:\/\/cron\.example\.com\/admin\/alerts$/) });

		expectField(await send('PATCH', `/api/alerts/channels/${channel.id}`, { json: { url: 'http://127.0.0.1/••••' } }), 'url');
	});

	it('Send test answers how it went: a receiver that refuses is named, nothing is retried', async () => {
		const created = await send('POST', '/api/alerts/channels', { json: { type: 'webhook', name: 'Nobody', url: 'http://127.0.0.1:9/hook' } });
		const id = (created.body.channel as { id: string }).id;
		const test = await send('POST', `/api/alerts/channels/${id}/test`);
		expect(test.body.notification).toMatchObject({ event: 'test', status: 'failed', attempts: 1, lastError: 'POST http://127.0.0.1:9: ECONNREFUSED 127.0.0.1:9' });
		const list = await send('GET', '/api/alerts/notifications');
		expect((list.body.notifications as { id: number }[])[0]).toMatchObject({ id: (test.body.notification as { id: number }).id, status: 'failed' });
	});

	it('/metrics counts notifications still to deliver, those given up, and monitors down', async () => {
		const created = await send('POST', '/api/alerts/channels', { json: { type: 'webhook', name: 'Metrics', url: 'http://127.0.0.1:9/m' } });
		const id = (created.body.channel as { id: string }).id;
		await t.sql`
			insert into notification (event, dedupe_key, channel_id, payload, status, last_error, last_attempt_at)
			values ('test', 'metrics-1', ${id}, '{}', 'pending', 'ECONNREFUSED', now()), ('test', 'metrics-2', ${id}, '{}', 'sending', null, now()),
				('test', 'metrics-3', ${id}, '{}', 'failed', 'given up', now()), ('test', 'metrics-4', ${id}, '{}', 'delivered', null, now())`;
		registerDatabaseGauges(services.sql);
		const { body } = await metricsText();
		expect(metricsProblems(body)).toEqual([]);
		expect(body).toMatch(/^cronkit_notifications_undelivered 2$/m);
		expect(body).toMatch(/^cronkit_notifications_failed [1-9]\d*$/m);
		expect(body).toMatch(/^cronkit_monitors_down \d+$/m);
		expect(body).toContain('# TYPE cronkit_notifications_total counter');
		await t.sql`delete from notification where dedupe_key like 'metrics-%'`;
	});

	it('bad input is a 400 naming the field', async () => {
		expectField(await send('POST', '/api/alerts/channels', { json: { type: 'webhook', name: 'x', url: 'ftp://example.com/x' } }), 'url');
		expectField(await send('POST', '/api/alerts/channels', { json: { type: 'webhook', name: 'x', url: 'not a url' } }), 'url');
		const denied = await send('POST', '/api/alerts/channels', { json: { type: 'webhook', name: 'x', url: 'http://169.254.169.254/latest' } });
		expectField(denied, 'url');
		expect(denied.text).toContain('blocked by HTTP_JOB_DENY (169.254.169.254)');
		expectField(await send('POST', '/api/alerts/channels', { json: { type: 'webhook', name: 'x', url: 'http://[::ffff:169.254.169.254]/' } }), 'url');
		expectField(await send('POST', '/api/alerts/channels', { json: { type: 'email', name: 'x', to: [] } }), 'to');
		expectField(await send('POST', '/api/alerts/channels', { json: { type: 'email', name: 'x', to: ['nope'] } }), 'to.0');
		expectField(await send('POST', '/api/alerts/channels', { json: { type: 'sms', name: 'x' } }), 'type');
		expectField(await send('POST', '/api/alerts/channels', { json: { type: 'webhook', name: '', url: hook.url } }), 'name');
		expectField(await send('POST', '/api/alerts/channels', { json: { type: 'webhook', name: 'x', url: hook.url, format: 'teams' } }), 'format');
		expect((await send('GET', '/api/alerts/channels/ch_unknown')).status).toBe(404);
		expect((await send('POST', '/api/alerts/channels/ch_unknown/test')).status).toBe(404);
		expect((await send('GET', '/api/alerts/channels', { auth: false })).status).toBe(401);
	});

	it('job rules and default channels name known channels; durations are bounded', async () => {
		const created = await send('POST', '/api/alerts/channels', { json: { type: 'email', name: 'On call', to: ['oncall@example.com'] } });
		const id = (created.body.channel as { id: string }).id;
		const job = await send('POST', '/api/cron/jobs', {
			json: { key: 'nightly', name: 'Nightly', type: 'http', schedule: 'daily', params: { url: 'http://127.0.0.1:9/' }, alerts: { channels: [id], onFailure: 'every', maxDurationMs: 60_000 }, autoDisableAfter: 5 }
		});
		expect(job.status, job.text).toBe(201);
		expect(job.body.job).toMatchObject({ alerts: { channels: [id], onFailure: 'every', onRecovery: true, onMissed: false, maxDurationMs: 60_000 }, autoDisableAfter: 5 });

		expectField(await send('PATCH', '/api/cron/jobs/nightly', { json: { alerts: { channels: [id, 'ch_missing'] } } }), 'alerts.channels.1');
		expectField(await send('PATCH', '/api/cron/jobs/nightly', { json: { alerts: { maxDurationMs: -5 } } }), 'alerts.maxDurationMs');
		expectField(await send('PATCH', '/api/cron/jobs/nightly', { json: { alerts: { noSuccessWithinMs: 1e15 } } }), 'alerts.noSuccessWithinMs');
		expectField(await send('PATCH', '/api/cron/jobs/nightly', { json: { alerts: { onFailure: 'sometimes' } } }), 'alerts.onFailure');
		expectField(await send('PATCH', '/api/cron/jobs/nightly', { json: { alerts: { pager: true } } }), 'alerts');
		expectField(await send('PATCH', '/api/cron/jobs/nightly', { json: { autoDisableAfter: 0 } }), 'autoDisableAfter');
		expectField(await send('PATCH', '/api/cron/settings', { json: { 'alerts.defaultChannels': ['ch_missing'] } }), 'alerts.defaultChannels.0');

		// `alerts` is replaced as a whole; `channels: []` means none, left out: the defaults.
		const none = await send('PATCH', '/api/cron/jobs/nightly', { json: { alerts: { channels: [] } } });
		expect((none.body.job as { alerts: unknown }).alerts).toEqual({ channels: [], onFailure: 'first', onRecovery: true, onMissed: false });
		const defaults = await send('PATCH', '/api/cron/jobs/nightly', { json: { alerts: { channels: [id] }, autoDisableAfter: null } });
		expect(defaults.body.job).toMatchObject({ alerts: { channels: [id] }, autoDisableAfter: null });
		const settings = await send('PATCH', '/api/cron/settings', { json: { 'alerts.defaultChannels': [id] } });
		expect((settings.body.settings as Record<string, unknown>)['alerts.defaultChannels']).toEqual([id]);

		// Deleting the channel takes it out of the job and the defaults.
		expect((await send('DELETE', `/api/alerts/channels/${id}`)).status).toBe(204);
		expect(((await send('GET', '/api/cron/jobs/nightly')).body.job as { alerts: unknown }).alerts).toMatchObject({ channels: [] });
		expect(((await send('GET', '/api/cron/settings')).body.settings as Record<string, unknown>)['alerts.defaultChannels']).toEqual([]);
		expect((await send('DELETE', `/api/alerts/channels/${id}`)).status).toBe(404);
	});

	it('code jobs: the alert settings follow code defaults, and an edit shows as drift', async () => {
		const before = await send('GET', '/api/cron/jobs/email-retry');
		const job = before.body.job as { alerts: unknown; drift: string[]; codeDefaults: Record<string, unknown> };
		expect(job.alerts).toEqual({ onFailure: 'first', onRecovery: true, onMissed: false });
		expect(job.codeDefaults).toMatchObject({ alerts: { onFailure: 'first', onRecovery: true, onMissed: false }, autoDisableAfter: null });
		expect(job.drift).toEqual([]);
		const edited = await send('PATCH', '/api/cron/jobs/email-retry', { json: { alerts: { onFailure: 'every' }, autoDisableAfter: 3 } });
		expect((edited.body.job as { drift: string[] }).drift).toEqual(['alerts', 'autoDisableAfter']);
	});
});

describe('monitors', () => {
	it('create answers the ping URL once; lists and reads never show it', async () => {
		const created = await send('POST', '/api/monitors', { json: { key: 'backups', name: 'Backups', periodSeconds: 86_400, graceSeconds: 3600 } });
		expect(created.status, created.text).toBe(201);
		const pingUrl = created.body.pingUrl as string;
		expect(pingUrl).toMatch(/^https:\/\/cron\.example\.com\/ping\/[A-Za-z0-9_-]{32}$/);
		expect(created.body.monitor).toMatchObject({ key: 'backups', status: 'new', periodSeconds: 86_400, graceSeconds: 3600, expectation: 'every 1 d', schedule: null });
		const token = pingUrl.split('/').at(-1)!;
		for (const p of ['/api/monitors', '/api/monitors/backups', '/api/monitors/backups/history']) expect((await send('GET', p)).text).not.toContain(token);
		expect(JSON.stringify(await t.sql`select * from monitor`)).not.toContain(token);
		expect((await send('POST', '/api/monitors', { json: { key: 'backups', name: 'Again', periodSeconds: 60 } })).status).toBe(409);

		const fresh = await send('POST', '/api/monitors/backups/regenerate');
		expect(fresh.body.pingUrl).not.toBe(pingUrl);
		expect((await send('GET', `/ping/${token}`, { auth: false })).status).toBe(404);
		expect((await send('GET', `/ping/${(fresh.body.pingUrl as string).split('/').at(-1)}`, { auth: false })).status).toBe(200);

		const patched = await send('PATCH', '/api/monitors/backups', { json: { schedule: '30 2 * * *', timezone: 'Europe/Berlin' } });
		expect(patched.body.monitor).toMatchObject({ periodSeconds: null, schedule: '30 2 * * *', timezone: 'Europe/Berlin', status: 'up' });
		expect((await send('DELETE', '/api/monitors/backups')).status).toBe(204);
		expect((await send('GET', '/api/monitors/backups')).status).toBe(404);
	});

	it('bad input is a 400 naming the field', async () => {
		const base = { key: 'mon-bad', name: 'Bad', periodSeconds: 60 };
		expectField(await send('POST', '/api/monitors', { json: { ...base, schedule: '* * * * *' } }), 'periodSeconds');
		expectField(await send('POST', '/api/monitors', { json: { key: 'mon-bad', name: 'Bad' } }), 'periodSeconds');
		expectField(await send('POST', '/api/monitors', { json: { ...base, periodSeconds: -1 } }), 'periodSeconds');
		expectField(await send('POST', '/api/monitors', { json: { ...base, periodSeconds: 1e12 } }), 'periodSeconds');
		expectField(await send('POST', '/api/monitors', { json: { ...base, graceSeconds: -5 } }), 'graceSeconds');
		expectField(await send('POST', '/api/monitors', { json: { key: 'mon-bad', name: 'Bad', schedule: '61 * * * *' } }), 'schedule');
		expectField(await send('POST', '/api/monitors', { json: { key: 'mon-bad', name: 'Bad', schedule: '${EVIL}' } }), 'schedule');
		expectField(await send('POST', '/api/monitors', { json: { key: 'mon-bad', name: 'Bad', schedule: 'daily', timezone: 'Mars/Olympus' } }), 'timezone');
		expectField(await send('POST', '/api/monitors', { json: { ...base, timezone: 'UTC' } }), 'timezone');
		expectField(await send('POST', '/api/monitors', { json: { ...base, channels: ['ch_missing'] } }), 'channels.0');
		expectField(await send('POST', '/api/monitors', { json: { ...base, key: 'Not A Slug' } }), 'key');
		expectField(await send('POST', '/api/monitors', { json: { ...base, name: 7 } }), 'name');
		expect((await send('GET', '/api/monitors/none-such')).status).toBe(404);
	});
});

describe('ping URLs, through the route and the fast path alike', () => {
	let token: string;
	beforeAll(async () => {
		const created = await send('POST', '/api/monitors', { json: { key: 'pinged', name: 'Pinged', periodSeconds: 3600 } });
		token = (created.body.pingUrl as string).split('/').at(-1)!;
	});

	const servers = () => [
		['route', api],
		['fast path', fast]
	] as const;

	it('answer success, start, fail and exit codes with 200 and record each ping', async () => {
		for (const [, server] of servers()) {
			const seen = fastHandled;
			for (const suffix of ['', '/start', '/0', '/fail', '/7', '']) {
				const res = await send('GET', `/ping/${token}${suffix}`, { server, auth: false });
				expect(res.status, res.text).toBe(200);
				expect(res.text).toBe('OK\n');
				// The app's hooks set these on the route's answers; the fast path sets its own.
				if (server === fast) expect(res.headers.get('x-content-type-options')).toBe('nosniff');
			}
			if (server === fast) expect(fastHandled - seen).toBe(6);
		}
		const history = await send('GET', '/api/monitors/pinged/history');
		const kinds = (history.body.pings as { kind: string; exitCode: number | null }[]).slice(0, 6).map((p) => `${p.kind}${p.exitCode === null ? '' : `:${p.exitCode}`}`);
		expect(kinds).toEqual(['success', 'fail:7', 'fail', 'success:0', 'start', 'success']);
		expect((history.body.flips as { from: string; to: string }[]).map((f) => `${f.from}→${f.to}`).slice(0, 3)).toEqual(['down→up', 'up→down', 'down→up']);
	});

	it('keep a POSTed body up to 10 KB, truncating (never refusing) a longer one; a form post with curl -d works on the fast path', async () => {
		const log = 'x'.repeat(12_000);
		for (const [name, server] of servers()) {
			const res = await send('POST', `/ping/${token}`, { server, auth: false, raw: `line one ${name}\n${log}`, headers: { 'content-type': 'application/octet-stream' } });
			expect(res.status, res.text).toBe(200);
			const [ping] = (await send('GET', '/api/monitors/pinged/history')).body.pings as { body: string; bodyBytes: number }[];
			expect(ping!.body).toHaveLength(10 * 1024);
			expect(ping!.body.startsWith(`line one ${name}\n`)).toBe(true);
			expect(ping!.bodyBytes).toBe(`line one ${name}\n`.length + 12_000);
		}
		const form = await send('POST', `/ping/${token}/fail`, { server: fast, auth: false, raw: 'exit status 2: disk full', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
		expect(form.status, form.text).toBe(200);
		const [ping] = (await send('GET', '/api/monitors/pinged/history')).body.pings as { body: string; kind: string }[];
		expect(ping).toMatchObject({ kind: 'fail', body: 'exit status 2: disk full' });
	});

	it('answer 404 for any unknown token revealing nothing, 400 naming exitCode, 405 for other methods', async () => {
		for (const [, server] of servers()) {
			for (const p of ['/ping/unknown-token', '/ping/unknown-token/start', `/ping/${token.slice(0, -1)}`, '/ping/a.b']) {
				const res = await send('GET', p, { server, auth: false });
				expect(res.status, `${p} ${res.text}`).toBe(404);
				expect(res.body).toEqual({ error: { code: 'not_found', message: 'not found', issues: [] } });
			}
			for (const bad of ['abc', '256', '-1', '1.5']) expectField(await send('GET', `/ping/${token}/${bad}`, { server, auth: false }), 'exitCode');
			const del = await send('DELETE', `/ping/${token}`, { server, auth: false });
			expect(del.status).toBe(405);
			expect(del.headers.get('allow')).toMatch(/GET.*POST/);
		}
	});
});
