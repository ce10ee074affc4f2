import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { migrate } from './migrate';

describe('migrate', () => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await createTestDatabase();
	});
	afterAll(() => t.drop());

	it('has created every table of the schema in the template', async () => {
		const rows = await t.sql<{ table_name: string }[]>`
			select table_name from information_schema.tables where table_schema = 'public' order by 1`;
		expect(rows.map((r) => r.table_name)).toEqual(
			expect.arrayContaining(['audit_log', 'cron_job', 'cron_job_config', 'cron_job_execution'])
		);
	});

	it('is idempotent and safe when three instances migrate at once', async () => {
		const pools = [t.pool(1), t.pool(1), t.pool(1)];
		const applied = await Promise.all(pools.map((p) => migrate(p)));
		expect(applied).toEqual([0, 0, 0]);
		const [row] = await t.sql<{ count: number }[]>`select count(*)::int as count from drizzle.__drizzle_migrations`;
		expect(row?.count).toBeGreaterThan(0);
	});

	it('applies from scratch exactly once under concurrency', async () => {
		await t.sql`drop schema public cascade`;
		await t.sql`create schema public`;
		await t.sql`drop schema drizzle cascade`;
		const pools = [t.pool(1), t.pool(1), t.pool(1)];
		const applied = await Promise.all(pools.map((p) => migrate(p)));
		// One instance applied everything; the two that waited on the lock found nothing to do.
		expect(applied.filter((n) => n === 0)).toHaveLength(2);
		expect(applied.filter((n) => n > 0)).toHaveLength(1);
		const idx = await t.sql<{ indexname: string }[]>`
			select indexname from pg_indexes where tablename = 'cron_job_execution' order by 1`;
		expect(idx.map((r) => r.indexname)).toEqual(
			expect.arrayContaining([
				'cron_job_execution_tick_uq',
				'cron_job_execution_history_idx',
				'cron_job_execution_queued_idx',
				'cron_job_execution_running_idx',
				'cron_job_execution_exclusive_uq'
			])
		);
	});
});
