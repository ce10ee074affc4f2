/**
 * The alerts while the database is away from their instance: a TCP proxy between the alert
 * service and PostgreSQL refuses its connections (as a stopped server does) while the scheduler
 * on its own pool keeps running jobs, and the monitors' deadlines pass meanwhile. When the
 * database is back, what happened is evaluated and delivered, once; the log says so with one
 * warning per part per outage, however long it lasts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alertService } from '../../../../tests/helpers/alerts';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { faultProxy, type FaultProxy } from '../../../../tests/helpers/fault-proxy';
import { startReceiver, type Receiver } from '../../../../tests/helpers/receiver';
import { eventually, finishedRun, instance, sleep, testSecrets, type Instance } from '../../../../tests/helpers/scheduler';
import { openPool } from '../db';
import { defineJob } from '../cron/types';
import { DEFAULT_HTTP_JOB_DENY, EgressPolicy } from '../egress/policy';
import { createMonitor } from '../monitors/monitors';
import { recordPing } from '../monitors/ping';
import { createChannel } from './channels';
import type { AlertService, AlertTiming } from './service';

const actor = { name: 'admin@example.com' };
const egress = EgressPolicy.fromLists(DEFAULT_HTTP_JOB_DENY);

type Line = { level: number; msg: string };

/** A logger that keeps every line (warnings and up, and the info lines that end an outage). */
function capturingLog() {
	const lines: Line[] = [];
	const stream = new Writable({
		write(chunk: Buffer, _enc, done) {
			for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
			done();
		}
	});
	return { log: pino({ level: 'info' }, stream), lines };
}

describe('alerts while the database is away', () => {
	let t: TestDatabase;
	let proxy: FaultProxy;
	let a: Instance;
	let hook: Receiver;
	let channel: string;
	let alerts: AlertService | undefined;

	beforeAll(async () => {
		t = await createTestDatabase();
		proxy = await faultProxy(t.url);
		a = instance(t, [defineJob({ key: 'nightly', name: 'Nightly', schedule: '0 0 1 1 *', handler: () => Promise.reject(new Error('disk full')) })]);
		await a.scheduler.start();
		hook = await startReceiver();
		channel = (await createChannel({ sql: t.sql, secrets: testSecrets, egress }, { type: 'webhook', name: 'Hook', url: hook.url }, actor)).id;
		await a.service.updateSettings({ 'alerts.defaultChannels': [channel] }, actor);
	});
	afterEach(async () => {
		await proxy.up();
		await alerts?.stop();
		alerts = undefined;
	});
	afterAll(async () => {
		await a.scheduler.close();
		await hook.close();
		await proxy.close();
		await t.drop();
	});

	/** The alert service of an instance whose pool goes through the proxy. */
	async function startAlerts(log: pino.Logger, timing: Partial<AlertTiming> = {}) {
		alerts = alertService(t.track(openPool(proxy.url, 5)), { log, timing });
		await alerts.start();
		return alerts;
	}

	const hitsOf = (event: string) => hook.hits.filter((h) => h.body.event === event);

	it('a failure and a monitor going down during a 6 s outage are alerted once each when it ends; one warning per part', async () => {
		const { log, lines } = capturingLog();
		await startAlerts(log);
		const deps = { sql: t.sql, origin: 'http://cronkit.test', defaultTimezone: async () => 'UTC' };
		const { pingUrl } = await createMonitor(deps, { key: 'offsite', name: 'Offsite copy', periodSeconds: 1, graceSeconds: 1, channels: [channel] }, actor);
		const token = pingUrl.slice(pingUrl.lastIndexOf('/') + 1);
		await recordPing(t.sql, { token, kind: 'success', exitCode: null, body: null, bodyBytes: 0, remoteAddr: '127.0.0.1', userAgent: 'test' });

		await proxy.down();
		const downAt = Date.now();
		// Meanwhile the scheduler (on its own pool) runs a job that fails, and the monitor's grace ends.
		const run = await finishedRun(a.service, (await a.service.trigger('nightly', 'manual', actor)).id);
		expect(run.status).toBe('failed');
		await eventually(async () => (await t.sql`select 1 from alert_inbox`).length === 1);
		await sleep(Math.max(0, downAt + 6_000 - Date.now()));
		// Nothing could be evaluated, marked down or sent.
		expect(hook.hits).toHaveLength(0);
		expect((await t.sql<{ status: string }[]>`select status from monitor where key = 'offsite'`)[0]!.status).toBe('up');
		expect(await t.sql`select 1 from notification`).toHaveLength(0);

		await proxy.up();
		// Backoff is at most 30 s (5 s for the monitor watch); the LISTEN reconnect usually wakes everything sooner.
		await eventually(async () => hitsOf('failed').length === 1 && hitsOf('monitor_down').length === 1, 45_000).catch((err: Error) => {
			throw new Error(`${err.message}: hits ${JSON.stringify(hook.hits.map((h) => h.body.event))}, log ${JSON.stringify(lines.map((l) => l.msg))}`);
		});
		expect(hitsOf('failed')[0]!.body.job).toMatchObject({ key: 'nightly' });
		expect(hitsOf('monitor_down')[0]!.body.monitor).toMatchObject({ key: 'offsite', status: 'down' });
		// Each is delivered once, for good: nothing more arrives, and every row is delivered.
		await sleep(1_500);
		expect(hook.hits.map((h) => h.body.event).sort()).toEqual(['failed', 'monitor_down']);
		expect((await t.sql<{ status: string }[]>`select status from notification`).map((r) => r.status)).toEqual(['delivered', 'delivered']);

		// One warning per part that noticed the outage, however many tries it made; each says when it works again.
		const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
		expect(warnings.filter((m) => m.startsWith('alert evaluation failed'))).toHaveLength(1);
		expect(warnings.filter((m) => m.startsWith('the monitor watch failed'))).toHaveLength(1);
		expect(warnings.filter((m) => m.startsWith('notification delivery failed')).length).toBeLessThanOrEqual(1);
		expect(warnings.length).toBeLessThanOrEqual(3);
		expect(lines.filter((l) => l.level >= 50)).toEqual([]);
		const back = lines.filter((l) => l.level === 30 && l.msg.endsWith('works again')).map((l) => l.msg);
		expect(back).toContain('alert evaluation works again');
		expect(back).toContain('the monitor watch works again');
	});

	it('a webhook answered while the database is away is recorded as delivered when it is back, and not sent again', async () => {
		const { log, lines } = capturingLog();
		// Generous: the request waits at the gate until the database is away, and must not time out.
		const claimMs = 12_000;
		const service = await startAlerts(log, { claimMs, sendTimeoutMs: 10_000 });
		// The receiver answers only once the database is away: the outcome cannot be written then.
		const slow = await startReceiver();
		let release!: () => void;
		const held = new Promise<void>((r) => (release = r));
		const gate = http.createServer(async (req, res) => {
			const chunks: Buffer[] = [];
			for await (const c of req) chunks.push(c as Buffer);
			await held;
			const fwd = await fetch(slow.url, { method: 'POST', body: Buffer.concat(chunks), headers: { 'content-type': 'application/json' } });
			res.writeHead(fwd.status).end(await fwd.text());
		});
		await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
		const port = (gate.address() as AddressInfo).port;
		try {
			const heldChannel = (await createChannel({ sql: t.sql, secrets: testSecrets, egress }, { type: 'webhook', name: 'Held', url: `http://127.0.0.1:${port}/hook` }, actor)).id;
			await a.service.updateJob('nightly', { alerts: { channels: [heldChannel], onFailure: 'every' } }, actor);
			await finishedRun(a.service, (await a.service.trigger('nightly', 'manual', actor)).id);
			// The notification is claimed and its request is waiting at the gate.
			await eventually(async () => (await t.sql`select 1 from notification where channel_id = ${heldChannel} and status = 'sending'`).length === 1).catch(async (err: Error) => {
				throw new Error(`${err.message}: ${JSON.stringify(await t.sql`select event, status, channel_id, attempts, last_error from notification`)} inbox ${JSON.stringify(await t.sql`select * from alert_inbox`)} ${JSON.stringify(lines)}`);
			});
			const claimedAt = Date.now();
			await proxy.down();
			release();
			await eventually(async () => slow.hits.length === 1);
			await sleep(2_000);
			await proxy.up();
			await eventually(async () => (await t.sql`select 1 from notification where channel_id = ${heldChannel} and status = 'delivered'`).length === 1, 30_000);
			// Past the claim's end nobody sends it again.
			await sleep(Math.max(0, claimedAt + claimMs + 1_000 - Date.now()));
			expect(slow.hits, `${JSON.stringify(slow.hits.map((h) => [h.at, h.headers['x-cronkit-notification']]))} ${JSON.stringify(await t.sql`select * from notification`)} ${JSON.stringify(lines)}`).toHaveLength(1);
			const [row] = await t.sql<{ attempts: number }[]>`select attempts from notification where channel_id = ${heldChannel}`;
			expect(row!.attempts).toBe(1);
			expect(lines.filter((l) => l.level >= 50)).toEqual([]);
			expect(service.deliveries.sending).toBe(0);
		} finally {
			release();
			gate.closeAllConnections();
			await new Promise<void>((r) => gate.close(() => r()));
			await slow.close();
		}
	});
});
