import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import type { Instance } from '../../../../tests/helpers/scheduler';
import { historyFixture } from '../../../../tests/helpers/history';
import { ALERTS_CHANNEL } from '../alerts/signal';
import { RUNS_CHANNEL } from '../cron/run-events';
import { listAudit } from './audit';
import type { LiveMessage } from '../../live-message';
import { HEARTBEAT_CHECK_MS, LIVE_CHANNEL, LiveHub } from './live';
import { createSession, invalidateSession } from '../auth/session';
import { cronListPage, executionsPage, jobPage, type PageDeps } from './pages';
import { jobStats } from './stats';

describe('admin read model', () => {
	let t: TestDatabase;
	let a: Instance;
	const ids: number[] = [];
	const deps = (): PageDeps => ({ cron: a.service, sql: t.sql });
	beforeAll(async () => {
		t = await createTestDatabase();
		let seeded: number[];
		({ a, ids: seeded } = await historyFixture(t));
		ids.push(...seeded);
	});
	afterAll(async () => {
		await t.drop();
	});

	it('lists every job with its recent success rate in a fixed number of queries', async () => {
		const list = await cronListPage(deps(), new URLSearchParams());
		expect(list.total).toBe(2);
		const alpha = list.jobs.find((j) => j.key === 'alpha')!;
		// last 10 runs: ids 51..60 → failed at 51, 54, 57, 60
		expect(alpha.success).toEqual({ finished: 10, succeeded: 6, rate: 0.6 });
		expect(list.jobs.find((j) => j.key === 'beta')!.success).toEqual({ finished: 0, succeeded: 0, rate: null });
		expect(alpha.scheduleDescription).toBe('At 00:00, on day 1 of the month, only in January');
		const searched = await cronListPage(deps(), new URLSearchParams({ q: 'beta' }));
		expect(searched.jobs.map((j) => j.key)).toEqual(['beta']);
		const byState = await cronListPage(deps(), new URLSearchParams({ state: 'misconfigured' }));
		expect(byState.jobs).toEqual([]);
		// A LIKE wildcard in the search is literal.
		expect((await cronListPage(deps(), new URLSearchParams({ q: '%' }))).jobs).toEqual([]);
	});

	it('summarises a job’s recent runs (success, p50/p95, runs per day, chart)', async () => {
		const stats = await jobStats(t.sql, 'alpha', 1000);
		expect(stats.runs).toBe(60);
		expect(stats.finished).toBe(60);
		expect(stats.succeeded).toBe(40);
		expect(stats.p50Ms).toBe(300);
		expect(stats.p95Ms).toBe(570);
		// The history is from 2025: no finished run in the last 7 days, over the whole week.
		expect(stats.rate).toMatchObject({ basis: 'week', finished: 0, perDay: 0 });
		expect(stats.chart).toHaveLength(60);
		expect(stats.chart[0]!.id).toBe(ids[0]);
		const page = await jobPage(deps(), 'alpha', new URLSearchParams('status=failed'));
		expect(page.history.executions.every((r) => r.status === 'failed')).toBe(true);
		expect(page.preview.valid).toBe(true);
	});

	it('all runs: bad filters are reported, not thrown', async () => {
		const page = await executionsPage(deps(), new URLSearchParams('from=yesterday&status=nope'));
		expect(page.errors.from).toMatch(/date and time/);
		expect(page.page).toBeNull();
		expect(page.query.status).toBe('');
	});

	it('lists the audit log newest first with a diff of what changed', async () => {
		await a.service.setEnabled('beta', false, { name: 'tester' });
		await a.service.updateSettings({ 'executions.retentionDays': 9 }, { name: 'tester' });
		const all = await listAudit(t.sql, new URLSearchParams());
		expect(all.entries[0]!.action).toBe('settings.update');
		expect(all.entries[0]!.changes).toEqual([{ field: 'executions.retentionDays', before: '30', after: '9' }]);
		expect(all.entities).toEqual(expect.arrayContaining(['cron_job', 'settings']));
		const jobs = await listAudit(t.sql, new URLSearchParams({ entity: 'cron_job', entityId: 'beta' }));
		expect(jobs.entries.map((e) => e.action)).toEqual(['job.disable']);
		expect(jobs.entries[0]!.changes).toEqual([{ field: 'enabled', before: 'true', after: 'false' }]);
		const paged = await listAudit(t.sql, new URLSearchParams(), 1);
		expect(paged.entries).toHaveLength(1);
		expect(paged.older).toBe(paged.entries[0]!.id);
	});
});

describe('live updates hub', () => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await createTestDatabase();
	});
	afterAll(async () => {
		await t.drop();
	});

	it('streams coalesced run changes from PostgreSQL and ends every stream on stop', async () => {
		const hub = new LiveHub(t.sql);
		const reader = (await hub.subscribe()).getReader();
		const decoder = new TextDecoder();
		const read = async () => decoder.decode((await reader.read()).value);
		expect(await read()).toContain('retry: 3000');
		await t.sql`select pg_notify(${RUNS_CHANNEL}, ${JSON.stringify({ runs: [[1, 'alpha', 'running']] })})`;
		await t.sql`select pg_notify(${RUNS_CHANNEL}, ${JSON.stringify({ runs: [[1, 'alpha', 'succeeded']] })})`;
		const msg = await read();
		expect(msg.startsWith('data: ')).toBe(true);
		// Both notifications arrive in one message.
		expect(JSON.parse(msg.slice(6))).toEqual({ runs: [[1, 'alpha', 'running'], [1, 'alpha', 'succeeded']], jobs: ['alpha'], all: false, settings: false, sessions: false, email: false, alerts: false, monitors: [] });
		// A monitor's pings and status changes (alerts/signal.ts) reach the monitor pages.
		await t.sql`select pg_notify(${ALERTS_CHANNEL}, ${JSON.stringify({ t: 'monitor', key: 'backups', status: 'up', downAt: 1 })})`;
		await t.sql`select pg_notify(${ALERTS_CHANNEL}, ${JSON.stringify({ t: 'deliver' })})`;
		expect(JSON.parse((await read()).slice(6))).toEqual({ runs: [], jobs: [], all: false, settings: false, sessions: false, email: false, alerts: false, monitors: ['backups'] });
		expect(hub.size).toBe(1);
		await hub.stop();
		expect((await reader.read()).done).toBe(true);
		await expect(hub.subscribe()).rejects.toThrow(/shutting down/);
	});

	it('a stream opened with `since` catches up once when anything changed from then on (or before the hub listened), never otherwise', async () => {
		const hub = new LiveHub(t.sql);
		const decoder = new TextDecoder();
		const open = async (since: number) => {
			const reader = (await hub.subscribe(undefined, { since })).getReader();
			expect(decoder.decode((await reader.read()).value)).toContain('retry: 3000');
			return async () => JSON.parse(decoder.decode((await reader.read()).value).slice(6)) as Record<string, unknown>;
		};
		const catchUp = { runs: [], jobs: [], all: true, settings: false, sessions: true, email: true, alerts: true, monitors: ['*'] };
		// A page read before the hub listened: what happened meanwhile is unknown, so it catches up.
		const early = await open(Date.now() - 60_000);
		expect(await early()).toEqual(catchUp);
		// A page read after every change heard: its first message is the next real change.
		const later = await open(Date.now() + 60_000);
		const readAt = Date.now();
		await t.sql`select pg_notify(${RUNS_CHANNEL}, ${JSON.stringify({ runs: [[7, 'beta', 'succeeded']] })})`;
		expect(await later()).toMatchObject({ runs: [[7, 'beta', 'succeeded']], all: false });
		// A page read just before that change, its stream opened after it: one catch-up first.
		const missed = await open(readAt);
		expect(await missed()).toEqual(catchUp);
		await hub.stop();
	});

	it('hears device sessions, access keys, the outbox and notifications from the database, and heartbeats only while a page watches them', async () => {
		// The triggers: one notification per statement that changes what the pages show; none for a heartbeat.
		const heard: string[] = [];
		const listening = await t.sql.listen(LIVE_CHANNEL, (payload) => heard.push(payload));
		await t.sql`insert into access_key (id, key_hash, prefix) values ('live-key', '\\x01', 'ck_live')`;
		await t.sql`insert into device_session (id, access_key_id) values ('live-session', 'live-key')`;
		await t.sql`update device_session set last_heartbeat_at = now() where id = 'live-session'`;
		await t.sql`update device_session set ended_at = now(), end_reason = 'ended' where id = 'live-session'`;
		await t.sql`insert into email_outbox ("to", subject, text, kind) values ('a@example.com', 's', 't', 'test')`;
		// Delivered in commit order: once the outbox's has come, every earlier one has too.
		await vi.waitFor(() => expect(heard).toContain('email'), { timeout: 10_000 });
		expect(heard).toEqual(['sessions', 'sessions', 'sessions', 'email']);
		await listening.unlisten();

		const hub = new LiveHub(t.sql);
		const decoder = new TextDecoder();
		const open = async (heartbeats: boolean) => {
			const reader = (await hub.subscribe(undefined, { heartbeats })).getReader();
			await reader.read(); // "retry: 3000" and the connected comment
			return reader;
		};
		/** The next message that is not a keep-alive ping. */
		const next = async (reader: ReadableStreamDefaultReader<Uint8Array>): Promise<LiveMessage> => {
			for (;;) {
				const chunk = decoder.decode((await reader.read()).value);
				if (chunk.startsWith('data: ')) return JSON.parse(chunk.slice(6)) as LiveMessage;
			}
		};
		const page = await open(false);
		await t.sql`insert into email_outbox ("to", subject, text, kind) values ('b@example.com', 's', 't', 'test')`;
		expect(await next(page)).toMatchObject({ email: true, sessions: false, runs: [], all: false });
		await t.sql`update access_key set revoked_at = now() where id = 'live-key'`;
		expect(await next(page)).toMatchObject({ sessions: true, email: false });
		// Notifications and channels (/admin/alerts): raised, claimed, delivered, given up, edited.
		await t.sql`insert into notification_channel (id, name, type, "to") values ('live-channel', 'Ops', 'email', '{ops@example.com}')`;
		expect(await next(page)).toMatchObject({ alerts: true, email: false, sessions: false });
		await t.sql`insert into notification (event, dedupe_key, channel_id, payload) values ('test', 'live-test', 'live-channel', '{}')`;
		expect(await next(page)).toMatchObject({ alerts: true });
		await t.sql`update notification set status = 'delivered' where dedupe_key = 'live-test'`;
		expect(await next(page)).toMatchObject({ alerts: true });

		// A sessions page watches heartbeats: the hub reads the latest one every HEARTBEAT_CHECK_MS.
		await t.sql`insert into device_session (id, access_key_id) values ('live-session-2', 'live-key')`;
		expect(await next(page)).toMatchObject({ sessions: true });
		const sessions = await open(true);
		await hub.checkHeartbeats();
		const started = Date.now();
		await t.sql`update device_session set last_heartbeat_at = now() + interval '1 second' where id = 'live-session-2'`;
		expect(await next(sessions)).toMatchObject({ sessions: true });
		expect(Date.now() - started).toBeLessThan(HEARTBEAT_CHECK_MS + 5_000);
		await hub.stop();
	});

	it('ends a stream within 5 s of its session ending (logout, expiry) or its user being deleted or demoted', async () => {
		const hub = new LiveHub(t.sql);
		const user = async (email: string, role: 'admin' | 'viewer') =>
			(await t.sql<{ id: string }[]>`insert into "user" (id, email, password_hash, role) values (gen_random_uuid()::text, ${email}, 'x', ${role}) returning id`)[0]!.id;
		const admin = await user('live-admin@example.com', 'admin');
		const gone = await user('live-gone@example.com', 'viewer');
		const [loggedOut, expired, deleted, demoted, kept] = await Promise.all([
			createSession(t.sql, admin),
			createSession(t.sql, admin),
			createSession(t.sql, gone),
			createSession(t.sql, admin),
			createSession(t.sql, admin)
		]);
		const open = async (sessionId: string, role: 'admin' | 'viewer') => {
			const reader = (await hub.subscribe(undefined, { owner: { sessionId, role } })).getReader();
			await reader.read(); // "retry: 3000" and the connected comment
			return reader;
		};
		const streams = {
			loggedOut: await open(loggedOut.session.id, 'admin'),
			expired: await open(expired.session.id, 'admin'),
			deleted: await open(deleted.session.id, 'viewer'),
			demoted: await open(demoted.session.id, 'admin'),
			kept: await open(kept.session.id, 'admin')
		};
		const ended = (reader: ReadableStreamDefaultReader<Uint8Array>) =>
			(async () => {
				for (;;) if ((await reader.read()).done) return Date.now();
			})();
		let started = Date.now();
		const ends = [ended(streams.loggedOut), ended(streams.expired), ended(streams.deleted)];
		await invalidateSession(t.sql, loggedOut.session.id);
		await t.sql`update auth_session set last_verified_at = now() - interval '8 days' where id = ${expired.session.id}`;
		await t.sql`delete from "user" where id = ${gone}`;
		for (const at of await Promise.all(ends)) expect(at - started).toBeLessThan(5_000);
		expect(hub.size).toBe(2);
		// Demotion: the kept stream belongs to another admin, who stays one.
		const other = await user('live-kept@example.com', 'admin');
		await t.sql`update auth_session set user_id = ${other} where id = ${kept.session.id}`;
		started = Date.now();
		const demotedEnd = ended(streams.demoted);
		await t.sql`update "user" set role = 'viewer' where id = ${admin}`;
		expect((await demotedEnd) - started).toBeLessThan(5_000);
		expect(hub.size).toBe(1);
		await hub.stop();
		expect((await streams.kept.read()).done).toBe(true);
	});
});
