import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SkewedClock } from '../../../../tests/helpers/clock';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { DbTime } from '../cron/db-time';
import { InstanceRegistry, listInstances, liveSummary, VERSION } from './registry';

const log = pino({ level: 'silent' });
let t: TestDatabase;

beforeAll(async () => {
	t = await createTestDatabase();
});
afterAll(async () => {
	await t.drop();
});

const registry = (id: string, role: string, skewMs = 0) =>
	new InstanceRegistry({ sql: t.sql, log, time: new DbTime(new SkewedClock(skewMs)), id, role, heartbeatMs: 60_000 });

describe('instance registry', () => {
	it('registers each instance with its role, version and clock offset; live while it beats', async () => {
		const web = registry('web-1', 'web');
		const worker = registry('worker-1', 'worker', 2_500);
		await web.start();
		await worker.start();
		const rows = await listInstances(t.sql);
		expect(rows.map((r) => [r.id, r.role, r.version, r.live])).toEqual(
			expect.arrayContaining([
				['web-1', 'web', VERSION, true],
				['worker-1', 'worker', VERSION, true]
			])
		);
		const w = rows.find((r) => r.id === 'worker-1')!;
		expect(w.clockOffsetMs).toBeGreaterThan(2_300);
		expect(w.clockOffsetMs).toBeLessThan(2_700);
		expect((await liveSummary(t.sql)).workers).toBe(1);
		await worker.stop();
		await web.stop();
	});

	it('counts due queued runs, and no live worker once workers stop or go silent', async () => {
		await t.sql`insert into cron_job (key, name, source, type, schedule, timeout_ms, catch_up_max_age_ms) values ('q', 'Q', 'ui', 'http', '0 0 1 1 *', 1000, 0)`;
		await t.sql`insert into cron_job_execution (job_id, trigger, run_at, status) values ('q', 'manual', now() - interval '90 seconds', 'queued'), ('q', 'manual', now() + interval '1 hour', 'queued')`;
		const stopped = await liveSummary(t.sql);
		expect(stopped.workers).toBe(0);
		expect(stopped.due).toBe(1);
		expect(stopped.oldestDueSeconds).toBeGreaterThanOrEqual(89);
		const worker = registry('worker-2', 'all');
		await worker.start();
		expect((await liveSummary(t.sql)).workers).toBe(1);
		// A crashed worker (no clean stop) stops counting after three heartbeats unseen.
		await t.sql`update cron_instance set last_seen_at = now() - interval '31 seconds' where id = 'worker-2'`;
		expect((await liveSummary(t.sql)).workers).toBe(0);
		await worker.beat();
		expect((await liveSummary(t.sql)).workers).toBe(1);
		await worker.stop();
	});
});
