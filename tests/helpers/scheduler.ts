/** Scheduler instances on a test database, each with its own pool (as separate processes would). */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { Sql } from 'postgres';
import { openPool, wrap } from '../../src/lib/server/db';
import { Scheduler, type SchedulerOptions } from '../../src/lib/server/cron/scheduler';
import { CronJobService } from '../../src/lib/server/cron/service';
import { createJobTypes } from '../../src/lib/server/job-registry';
import { DEFAULT_HTTP_JOB_DENY, EgressPolicy } from '../../src/lib/server/egress/policy';
import { SecretBox } from '../../src/lib/server/secrets/box';
import type { RegisteredJob } from '../../src/lib/server/cron/types';
import type { TestDatabase } from './db';

export const quietLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export type Instance = { scheduler: Scheduler; service: CronJobService; sql: Sql };

/** The key job secrets are encrypted under in these tests. */
export const testSecrets = new SecretBox(randomBytes(32));

/** The app's job types under `testSecrets`, with the default egress policy unless given one. */
export const testJobTypes = (egress = EgressPolicy.fromLists(DEFAULT_HTTP_JOB_DENY), o: { commandJobs?: boolean } = {}) =>
	createJobTypes({ secrets: testSecrets, egress, commandJobs: o.commandJobs });

export function instance(
	t: TestDatabase,
	definitions: RegisteredJob[],
	opts: Partial<SchedulerOptions> & { name?: string; /** Connect here instead (a fault proxy). */ url?: string } = {}
): Instance {
	const types = opts.types ?? testJobTypes();
	const max = opts.concurrency ? Math.min(20, opts.concurrency) : 10;
	const sql = opts.url ? t.track(openPool(opts.url, max)) : t.pool(max);
	const db = wrap(sql);
	const scheduler = new Scheduler({
		sql,
		db,
		instanceId: opts.name ?? `test-${Math.random().toString(36).slice(2, 8)}`,
		defaultTimezone: 'UTC',
		definitions,
		log: quietLog,
		leaseMs: 3_000,
		pollMs: 500,
		resyncMs: 2_000,
		listenCheckMs: 1_000,
		...opts,
		types
	});
	const service = new CronJobService({ sql, db, defaultTimezone: 'UTC', definitions, types, scheduler });
	return { scheduler, service, sql };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `check` returns a truthy value or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await check();
		if (v) return v;
		if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
		await sleep(everyMs);
	}
}

/** Waits until run `id` has finished (any status but queued and running) and returns it. */
export function finishedRun(service: CronJobService, id: number, timeoutMs = 20_000) {
	return eventually(async () => {
		const run = await service.getExecution(id);
		return run.status !== 'queued' && run.status !== 'running' ? run : null;
	}, timeoutMs);
}
