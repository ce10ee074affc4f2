/**
 * The built-in maintenance jobs of the devices and auth domains, run through a real Scheduler
 * on a real PostgreSQL: session-cleanup (batches, output, metrics), mark-users-offline,
 * prune-auth-sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncCodeJobs } from '../cron/jobs';
import type { JobContext } from '../cron/types';
import { sessionCleanup } from '../devices/cleanup-job';
import { markUsersOffline } from './mark-users-offline';
import { pruneAuthSessions } from './prune-auth-sessions';
import { registry } from '../metrics';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { instance, type Instance } from '../../../../tests/helpers/scheduler';

const JOBS = [sessionCleanup, markUsersOffline, pruneAuthSessions];

let t: TestDatabase;
let inst: Instance;

beforeAll(async () => {
	t = await createTestDatabase();
	inst = instance(t, JOBS);
	await syncCodeJobs(inst.sql, JOBS);
});

afterAll(async () => {
	await inst?.scheduler.close(1000);
	await t?.drop();
});

type Run = { status: string; output: string; result: { message: string; metrics: Record<string, number> } };

/** Runs the job once in a fresh instance (as `npm run cron -- run <key>` does), so it reads the stored params. */
async function run(key: string): Promise<Run> {
	const once = instance(t, JOBS);
	const { id } = await once.scheduler.runNow(key, 'test').finally(() => once.scheduler.close(1000));
	const [r] = await t.sql<Run[]>`select status, output, result from cron_job_execution where id = ${id}`;
	return r!;
}

/** As an admin edits params (PATCH): through the service, which tells the scheduler. */
async function setParams(key: string, params: Record<string, unknown>): Promise<void> {
	await inst.service.updateJob(key, { params }, { name: 'test' });
}

async function expiredCounter(): Promise<number> {
	const metric = await registry.getSingleMetric('cronkit_device_sessions_ended_total')!.get();
	return metric.values.find((v) => v.labels.reason === 'expired')?.value ?? 0;
}

/** `n` keys, each with one open session last heard from `agoSeconds` ago (plus up to `spread` seconds more). */
async function sessions(prefix: string, n: number, agoSeconds: number, spread = 0): Promise<void> {
	await t.sql`
		insert into access_key (id, key_hash, prefix)
		select ${prefix} || g, sha256((${prefix} || g)::bytea), 'ck_test'
		from generate_series(1, ${n}::int) g`;
	await t.sql`
		insert into device_session (id, access_key_id, started_at, last_heartbeat_at)
		select 'ds_' || ${prefix} || g, ${prefix} || g, now() - make_interval(secs => ${agoSeconds + 60 + spread}),
			now() - make_interval(secs => ${agoSeconds} + g % ${spread + 1})
		from generate_series(1, ${n}::int) g`;
}

describe('session-cleanup', () => {
	it('ends stale sessions in batches, reports the count in output and metrics, spares live ones', async () => {
		const batch = 10_000;
		await setParams('session-cleanup', { batchSize: batch, workers: 1 });
		const stale = 2 * batch + 5_000;
		await sessions('stale-', stale, 120);
		await sessions('live-', 300, 10);
		const before = await expiredCounter();
		const r = await run('session-cleanup');
		expect(r.status).toBe('succeeded');
		expect(r.result.metrics).toMatchObject({ ended: stale, batches: 3, workers: 1 });
		expect(r.result.message).toBe(`ended ${stale} stale sessions`);
		expect(r.output).toContain(`ended ${stale} sessions without a heartbeat for 60 s (3 batches, 1 worker,`);
		expect((await expiredCounter()) - before).toBe(stale);
		const counts = await t.sql`
			select split_part(access_key_id, '-', 1) as kind, end_reason as reason, count(*)::int as n
			from device_session group by 1, 2 order by 1`;
		expect(counts).toEqual([
			{ kind: 'live', reason: null, n: 300 },
			{ kind: 'stale', reason: 'expired', n: stale }
		]);
		// nothing left: the next run ends none
		expect((await run('session-cleanup')).result.metrics.ended).toBe(0);
		await setParams('session-cleanup', {});
	});

	it('splits a backlog of several batches among its workers, each ending its own range', async () => {
		const batch = 1_000;
		await setParams('session-cleanup', { batchSize: batch, workers: 3 });
		const stale = 6 * batch;
		await sessions('spread-', stale, 120, 10_000); // distinct heartbeat instants
		await sessions('live-w-', 50, 10);
		const r = await run('session-cleanup');
		expect(r.status).toBe('succeeded');
		// three ranges of 2,000: two full batches and one short (empty) one each
		expect(r.result.metrics).toMatchObject({ ended: stale, workers: 3, batches: 9 });
		expect(r.output).toContain('(9 batches, 3 workers,');
		const [left] = await t.sql`
			select count(*) filter (where access_key_id like 'spread-%' and ended_at is null)::int as stale,
				count(*) filter (where access_key_id like 'live-w-%' and ended_at is null)::int as live
			from device_session`;
		expect(left).toEqual({ stale: 0, live: 50 });
		await setParams('session-cleanup', {});
	});

	it('ends a backlog whose heartbeats share one instant (no range to split)', async () => {
		const batch = 1_000;
		await setParams('session-cleanup', { batchSize: batch, workers: 4 });
		await sessions('same-', 2_500, 120);
		const r = await run('session-cleanup');
		expect(r.result.metrics).toMatchObject({ ended: 2_500, workers: 1 });
		await setParams('session-cleanup', {});
	});

	it('takes timeoutSeconds from its params', async () => {
		await sessions('p90-', 5, 90);
		await setParams('session-cleanup', { timeoutSeconds: 100 });
		expect((await run('session-cleanup')).result.metrics.ended).toBe(0);
		await setParams('session-cleanup', { timeoutSeconds: 80 });
		const r = await run('session-cleanup');
		expect(r.result.metrics.ended).toBe(5);
		expect(r.output).toContain('for 80 s');
		await setParams('session-cleanup', {});
	});

	it('stops at its signal', async () => {
		const controller = new AbortController();
		controller.abort(new Error('timed out'));
		const ctx = {
			signal: controller.signal,
			log: () => {},
			params: { timeoutSeconds: 60, batchSize: 1000, workers: 2 },
			db: { $client: t.sql },
			execution: { id: 0, jobKey: 'session-cleanup', attempt: 1, trigger: 'manual', scheduledFor: null }
		} as unknown as JobContext;
		await expect(Promise.resolve(sessionCleanup.handler(ctx))).rejects.toThrow('timed out');
	});
});

describe('mark-users-offline', () => {
	it('marks users offline after timeoutMinutes without activity', async () => {
		await t.sql`
			insert into "user" (id, email, password_hash, status, last_seen_at) values
				('u-recent', 'recent@example.com', 'x', 'online', now() - interval '1 minute'),
				('u-idle', 'idle@example.com', 'x', 'online', now() - interval '10 minutes'),
				('u-never', 'never@example.com', 'x', 'online', null),
				('u-off', 'off@example.com', 'x', 'offline', now() - interval '1 hour')`;
		const status = async () => Object.fromEntries((await t.sql<{ id: string; status: string }[]>`select id, status from "user" order by id`).map((u) => [u.id, u.status]));

		await setParams('mark-users-offline', { timeoutMinutes: 15 });
		expect((await run('mark-users-offline')).result.metrics.markedOffline).toBe(1);
		expect(await status()).toEqual({ 'u-idle': 'online', 'u-never': 'offline', 'u-off': 'offline', 'u-recent': 'online' });

		await setParams('mark-users-offline', {});
		const r = await run('mark-users-offline');
		expect(r.result.metrics.markedOffline).toBe(1);
		expect(r.output).toContain('marked 1 user offline (no activity for 5 min)');
		expect(await status()).toEqual({ 'u-idle': 'offline', 'u-never': 'offline', 'u-off': 'offline', 'u-recent': 'online' });
	});
});

describe('prune-auth-sessions', () => {
	it('deletes login sessions past the inactivity timeout or the absolute lifetime, and ended rate-limit windows', async () => {
		await t.sql`
			insert into auth_session (id, user_id, secret_hash, created_at, last_verified_at) values
				('fresh', 'u-recent', '\\x00', now() - interval '1 day', now() - interval '1 hour'),
				('inactive', 'u-recent', '\\x00', now() - interval '9 days', now() - interval '8 days'),
				('too-old', 'u-recent', '\\x00', now() - interval '31 days', now() - interval '1 hour')`;
		await t.sql`
			insert into rate_limit (key, hits, window_ends_at) values
				('session-start:1.2.3.4', 3, now() - interval '2 minutes'),
				('session-start:5.6.7.8', 3, now() + interval '1 minute')`;
		const r = await run('prune-auth-sessions');
		expect(r.status).toBe('succeeded');
		expect(r.result.metrics).toMatchObject({ deleted: 2, rateLimitWindows: 1 });
		expect(await t.sql`select id from auth_session`).toEqual([{ id: 'fresh' }]);
		expect(await scalar(t.sql`select count(*)::int from rate_limit`)).toBe(1);
	});
});
