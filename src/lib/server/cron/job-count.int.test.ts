/**
 * The number of jobs the list shows (`countJobs`) is one row kept by triggers on `cron_job`
 * (drizzle/0014_job_count.sql): it must equal a count of the rows after every kind of write —
 * single and multi-row inserts, upserts, deletes, a rolled-back transaction, concurrent
 * writers and a truncate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { countJobs } from './jobs';

const insertJobs = (sql: Sql, keys: string[]) => sql`
	insert into cron_job (key, name, source, type, params, schedule, timeout_ms, catch_up_max_age_ms)
	select k, k, 'ui', 'http', '{}'::jsonb, '0 0 1 1 *', 1000, 1000 from unnest(${keys}::text[]) as k`;

describe('countJobs (the job count kept by triggers)', () => {
	let t: TestDatabase;
	const counted = () => scalar(t.sql`select count(*)::int as n from cron_job`);
	const expectExact = async (n: number) => {
		expect(await counted()).toBe(n);
		expect(await countJobs(t.sql)).toBe(n);
	};

	beforeAll(async () => {
		t = await createTestDatabase();
	});
	afterAll(async () => {
		await t.drop();
	});

	it('follows inserts of one and many rows, upserts and deletes', async () => {
		await expectExact(0);
		await insertJobs(t.sql, ['a']);
		await expectExact(1);
		await insertJobs(t.sql, ['b', 'c', 'd', 'e']);
		await expectExact(5);
		// An upsert counts only the rows it inserted, not the ones it updated or left alone.
		await t.sql`
			insert into cron_job (key, name, source, type, params, schedule, timeout_ms, catch_up_max_age_ms)
			select k, 'renamed', 'ui', 'http', '{}'::jsonb, '0 0 1 1 *', 1000, 1000 from unnest(${['a', 'b', 'f']}::text[]) as k
			on conflict (key) do update set name = excluded.name`;
		await expectExact(6);
		await t.sql`insert into cron_job (key, name, source, type, params, schedule, timeout_ms, catch_up_max_age_ms)
			values ('a', 'a', 'ui', 'http', '{}'::jsonb, '0 0 1 1 *', 1000, 1000) on conflict (key) do nothing`;
		await expectExact(6);
		await t.sql`delete from cron_job where key in ('b', 'c', 'nope')`;
		await expectExact(4);
		await t.sql`delete from cron_job where key = 'nope'`;
		await expectExact(4);
	});

	it('leaves the count alone when the writing transaction rolls back', async () => {
		const before = await counted();
		await expect(
			t.sql.begin(async (tx) => {
				await insertJobs(tx as unknown as Sql, ['rolled-1', 'rolled-2']);
				await tx`delete from cron_job where key = 'a'`;
				throw new Error('roll back');
			})
		).rejects.toThrow('roll back');
		await expectExact(before);
	});

	it('stays exact under concurrent writers on other connections', async () => {
		const before = await counted();
		const pools = [t.pool(4), t.pool(4)];
		const writes = pools.flatMap((pool, p) =>
			Array.from({ length: 20 }, (_, i) => (i % 4 === 3 ? pool`delete from cron_job where key = ${`w${p}-${i - 1}`}` : insertJobs(pool, [`w${p}-${i}`])))
		);
		await Promise.all(writes);
		// Per pool: 15 inserts, 5 deletes of keys it inserted (w-2, w-6, …) — or of none yet, if the delete ran first.
		await expect(counted()).resolves.toBe(await countJobs(t.sql));
		expect(await countJobs(t.sql)).toBeGreaterThanOrEqual(before + 20);
		expect(await countJobs(t.sql)).toBeLessThanOrEqual(before + 30);
	});

	it('is zero after a truncate, and counts again from there', async () => {
		await t.sql`truncate cron_job cascade`;
		await expectExact(0);
		await insertJobs(t.sql, ['after-1', 'after-2']);
		await expectExact(2);
	});
});
