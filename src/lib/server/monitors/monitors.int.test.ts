/**
 * Push monitors on a real PostgreSQL with the alert services of one or two instances and a real
 * webhook receiver: status new → up → late → down → up with alerts at the right moments, every
 * ping variant, one alert with several instances, and down detection by the database's clock
 * even on an instance whose own clock is wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertService } from '../../../../tests/helpers/alerts';
import { SkewedClock } from '../../../../tests/helpers/clock';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { startReceiver, type Receiver } from '../../../../tests/helpers/receiver';
import { eventually, sleep, testSecrets } from '../../../../tests/helpers/scheduler';
import { createChannel } from '../alerts/channels';
import type { AlertService } from '../alerts/service';
import { DEFAULT_HTTP_JOB_DENY, EgressPolicy } from '../egress/policy';
import { createMonitor, getMonitor, listFlips, listPings, regeneratePingUrl, type MonitorDeps } from './monitors';
import { PING_BODY_MAX, recordPing, type PingInput } from './ping';

const actor = { name: 'admin@example.com' };
const egress = EgressPolicy.fromLists(DEFAULT_HTTP_JOB_DENY);

const tokenOf = (pingUrl: string) => pingUrl.slice(pingUrl.lastIndexOf('/') + 1);

function ping(token: string, kind: PingInput['kind'] = 'success', extra: Partial<PingInput> = {}): PingInput {
	return { token, kind, exitCode: null, body: null, bodyBytes: 0, remoteAddr: '127.0.0.1', userAgent: 'test', ...extra };
}

describe('push monitors', () => {
	let t: TestDatabase;
	let alerts: AlertService;
	let hook: Receiver;
	let deps: MonitorDeps;
	let channel: string;

	beforeAll(async () => {
		t = await createTestDatabase();
		alerts = alertService(t.sql);
		await alerts.start();
		hook = await startReceiver();
		deps = { sql: t.sql, origin: 'http://cronkit.test', defaultTimezone: async () => 'UTC' };
		channel = (await createChannel({ sql: t.sql, secrets: testSecrets, egress }, { type: 'webhook', name: 'Hook', url: hook.url }, actor)).id;
	});
	afterAll(async () => {
		await alerts.stop();
		await hook.close();
		await t.drop();
	});

	const hitsFor = (key: string) => hook.hits.filter((h) => (h.body.monitor as { key?: string } | undefined)?.key === key);

	it('new → up → late → down → up, with monitor_down within 2 s of the grace end and monitor_up at the next ping', async () => {
		const { monitor, pingUrl } = await createMonitor(deps, { key: 'backups', name: 'Nightly backups', periodSeconds: 2, graceSeconds: 1, channels: [channel] }, actor);
		expect(monitor.status).toBe('new');
		expect(pingUrl).toMatch(/^http:\/\/cronkit\.test\/ping\/[A-Za-z0-9_-]{32}$/);
		const token = tokenOf(pingUrl);
		// Only the token's hash is stored.
		const stored = JSON.stringify(await t.sql`select * from monitor`) + JSON.stringify(await t.sql`select * from audit_log`);
		expect(stored).not.toContain(token);

		expect(await recordPing(t.sql, ping(token))).toEqual({ key: 'backups', from: 'new', to: 'up' });
		const up = await getMonitor(t.sql, 'backups');
		expect(up.status).toBe('up');
		const downAt = new Date(up.downAt!).getTime();
		expect(downAt - new Date(up.lastPingAt!).getTime()).toBe(3_000);
		expect(new Date(up.expectedAt!).getTime() - new Date(up.lastPingAt!).getTime()).toBe(2_000);

		// Past its period, within its grace: late, and no alert.
		await eventually(async () => (await getMonitor(t.sql, 'backups')).status === 'late', 5_000);
		expect(hitsFor('backups')).toHaveLength(0);

		// Grace over: down, alerted within 2 s of the instant.
		await eventually(async () => hitsFor('backups').length === 1, 8_000);
		const down = hitsFor('backups')[0]!;
		expect(down.at - downAt).toBeGreaterThanOrEqual(-50);
		expect(down.at - downAt).toBeLessThan(2_000);
		expect(down.body).toEqual({
			event: 'monitor_down',
			text: expect.stringMatching(/^Monitor "Nightly backups" \(backups\) is down since .* UTC: no ping within its period and grace time \(last ping .* UTC\) — http:\/\/cronkit\.test\/admin\/monitors\/backups$/),
			monitor: { key: 'backups', name: 'Nightly backups', status: 'down', lastPingAt: up.lastPingAt, url: 'http://cronkit.test/admin/monitors/backups' },
			at: expect.any(String)
		});
		expect(Object.keys(down.body)).toEqual(['event', 'text', 'monitor', 'at']);
		expect((await getMonitor(t.sql, 'backups')).status).toBe('down');

		// The next success ping: up again, alerted at once.
		const t0 = Date.now();
		expect(await recordPing(t.sql, ping(token))).toEqual({ key: 'backups', from: 'down', to: 'up' });
		await eventually(async () => hitsFor('backups').length === 2, 5_000);
		const back = hitsFor('backups')[1]!;
		expect(back.at - t0).toBeLessThan(2_000);
		expect(back.body.event).toBe('monitor_up');
		expect(back.body.text).toMatch(/^Monitor "Nightly backups" \(backups\) is up again at .* after [\d.]+ m?s down: a success ping arrived/);

		const flips = await listFlips(t.sql, 'backups');
		expect(flips.map((f) => `${f.from}→${f.to}`)).toEqual(['down→up', 'up→down', 'new→up']);
		await sleep(500);
		expect(hitsFor('backups')).toHaveLength(2);
	});

	it('ping variants: start without success goes down after the grace; fail and non-zero exit codes go down at once; exit code 0 is a success', async () => {
		const { pingUrl } = await createMonitor(deps, { key: 'etl', name: 'ETL', periodSeconds: 3600, graceSeconds: 1, channels: [channel] }, actor);
		const token = tokenOf(pingUrl);
		await recordPing(t.sql, ping(token, 'success', { exitCode: 0 }));
		expect((await getMonitor(t.sql, 'etl')).status).toBe('up');

		// /start: an hour's period, but a start must be followed by a success within the grace.
		const started = Date.now();
		await recordPing(t.sql, ping(token, 'start'));
		const running = await getMonitor(t.sql, 'etl');
		expect(running.runningSince).not.toBeNull();
		expect(new Date(running.downAt!).getTime() - new Date(running.runningSince!).getTime()).toBe(1_000);
		await eventually(async () => hitsFor('etl').length === 1, 5_000);
		expect(hitsFor('etl')[0]!.at - started).toBeLessThan(1_000 + 2_000);
		expect(hitsFor('etl')[0]!.body.text).toContain('a start ping was not followed by a success within the grace time');

		// Success again: up, alerted at once (never held back). Then /fail: down at once, with the
		// body's first line; raised, but held by the rate limit (the first down was less than a
		// minute ago) for the window's summary.
		await recordPing(t.sql, ping(token));
		await eventually(async () => hitsFor('etl').length === 2, 5_000);
		expect(hitsFor('etl')[1]!.body.event).toBe('monitor_up');
		const body = Buffer.from('pg_dump: error: connection refused\nmore detail');
		expect(await recordPing(t.sql, ping(token, 'fail', { body, bodyBytes: body.length }))).toEqual({ key: 'etl', from: 'up', to: 'down' });
		const raised = async () =>
			t.sql<{ event: string; status: string; text: string }[]>`
				select event, status, payload ->> 'text' as text from notification where monitor_key = 'etl' order by id`;
		await eventually(async () => (await raised()).length === 3, 5_000);
		expect((await raised())[2]).toEqual({ event: 'monitor_down', status: 'held', text: expect.stringContaining('the job reported a failure: pg_dump: error: connection refused (last ping') });

		// A non-zero exit code is a failure; 0 a success.
		await recordPing(t.sql, ping(token, 'success', { exitCode: 0 }));
		expect(await recordPing(t.sql, ping(token, 'fail', { exitCode: 3 }))).toEqual({ key: 'etl', from: 'up', to: 'down' });
		await eventually(async () => (await raised()).some((n) => n.text.includes('the job reported a failure (exit code 3)')), 5_000);
		// A failure while down changes nothing and raises nothing more.
		const before = (await raised()).length;
		expect(await recordPing(t.sql, ping(token, 'fail'))).toEqual({ key: 'etl', from: 'down', to: 'down' });
		await sleep(600);
		expect(await raised()).toHaveLength(before);
		expect(hitsFor('etl').map((h) => h.body.event)).toEqual(['monitor_down', 'monitor_up', 'monitor_up']);

		const { pings } = await listPings(t.sql, 'etl');
		expect(pings.map((p) => [p.kind, p.exitCode])).toEqual([
			['fail', null],
			['fail', 3],
			['success', 0],
			['fail', null],
			['success', null],
			['start', null],
			['success', 0]
		]);
		expect(pings[3]!.body).toBe('pg_dump: error: connection refused\nmore detail');
	});

	it('keeps the first 10 KB of a body, counts the rest; an unknown token records nothing', async () => {
		const { pingUrl } = await createMonitor(deps, { key: 'logs', name: 'Logs', periodSeconds: 60 }, actor);
		const big = Buffer.alloc(25_000, 'x');
		await recordPing(t.sql, ping(tokenOf(pingUrl), 'success', { body: big.subarray(0, PING_BODY_MAX), bodyBytes: big.length }));
		const [p] = (await listPings(t.sql, 'logs')).pings;
		expect(p!.body).toHaveLength(PING_BODY_MAX);
		expect(p!.bodyBytes).toBe(25_000);
		expect(await recordPing(t.sql, ping('not-a-real-token'))).toBeNull();
		expect(await t.sql`select 1 from monitor_ping where monitor_key <> 'logs' and monitor_key not in ('backups', 'etl')`).toHaveLength(0);
	});

	it('a schedule monitor expects the next instant of its schedule after each ping', async () => {
		const { pingUrl } = await createMonitor(deps, { key: 'every-2s', name: 'Every 2 s', schedule: '*/2 * * * * *', graceSeconds: 5 }, actor);
		await recordPing(t.sql, ping(tokenOf(pingUrl)));
		const m = await getMonitor(t.sql, 'every-2s');
		const last = new Date(m.lastPingAt!).getTime();
		const expected = new Date(m.expectedAt!).getTime();
		expect(expected).toBeGreaterThan(last);
		expect(expected - last).toBeLessThanOrEqual(2_000);
		expect(expected % 2_000).toBe(0);
		expect(new Date(m.downAt!).getTime() - expected).toBe(5_000);
		expect(m.timezone).toBe('UTC');
	});

	it('regenerating the ping URL retires the old one at once', async () => {
		const { pingUrl } = await createMonitor(deps, { key: 'rotate', name: 'Rotate', periodSeconds: 60 }, actor);
		const fresh = await regeneratePingUrl(deps, 'rotate', actor);
		expect(fresh.pingUrl).not.toBe(pingUrl);
		expect(await recordPing(t.sql, ping(tokenOf(pingUrl)))).toBeNull();
		expect(await recordPing(t.sql, ping(tokenOf(fresh.pingUrl)))).toEqual({ key: 'rotate', from: 'new', to: 'up' });
	});
});

describe('push monitors with two instances', () => {
	let t: TestDatabase;
	let a: AlertService;
	let b: AlertService;
	let hook: Receiver;
	let deps: MonitorDeps;
	let channel: string;
	const skewed = new SkewedClock(3_000);

	beforeAll(async () => {
		t = await createTestDatabase();
		// Instance b's clock runs 3 s ahead: it still goes by the database's.
		a = alertService(t.pool());
		b = alertService(t.pool(), { clock: skewed });
		await Promise.all([a.start(), b.start()]);
		hook = await startReceiver();
		deps = { sql: t.sql, origin: 'http://cronkit.test', defaultTimezone: async () => 'UTC' };
		channel = (await createChannel({ sql: t.sql, secrets: testSecrets, egress }, { type: 'webhook', name: 'Hook', url: hook.url }, actor)).id;
	});
	afterAll(async () => {
		await Promise.all([a.stop(), b.stop()]);
		await hook.close();
		await t.drop();
	});

	it('exactly one monitor_down per monitor, none early, each within 2 s of its grace end', async () => {
		const keys = Array.from({ length: 20 }, (_, i) => `m-${i}`);
		const downAts = new Map<string, number>();
		for (const [i, key] of keys.entries()) {
			const { pingUrl } = await createMonitor(deps, { key, name: key, periodSeconds: 1, graceSeconds: 1 + (i % 3), channels: [channel] }, actor);
			await recordPing(t.sql, ping(tokenOf(pingUrl)));
			downAts.set(key, new Date((await getMonitor(t.sql, key)).downAt!).getTime());
		}
		await eventually(async () => hook.hits.length === keys.length, 10_000);
		await sleep(1_500);
		expect(hook.hits).toHaveLength(keys.length);
		const byKey = new Map(hook.hits.map((h) => [(h.body.monitor as { key: string }).key, h]));
		expect([...byKey.keys()].sort()).toEqual([...keys].sort());
		for (const [key, hit] of byKey) {
			const late = hit.at - downAts.get(key)!;
			expect(late, key).toBeGreaterThanOrEqual(-50);
			expect(late, key).toBeLessThan(2_000);
		}
		const [flips] = await t.sql<{ n: number }[]>`select count(*)::int as n from monitor_flip where to_status = 'down'`;
		expect(flips!.n).toBe(keys.length);
	});
});
