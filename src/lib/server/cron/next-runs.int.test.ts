/**
 * The next runs boot writes after a long outage (every job's stored next run stale): written in
 * slices of NEXT_RUN_SLICE rows, one statement each, never one statement for every job; a
 * slice whose write fails goes back and is written on the retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { eventually, instance, type Instance } from '../../../../tests/helpers/scheduler';
import { NEXT_RUN_SLICE } from './scheduler';

const JOBS = 2 * NEXT_RUN_SLICE + 500;

describe('next runs written after boot', () => {
	let t: TestDatabase;
	let a: Instance | undefined;

	beforeAll(async () => {
		t = await createTestDatabase();
		await t.sql`
			insert into cron_job (key, name, source, type, params, schedule, timezone, enabled, timeout_ms, catch_up_max_age_ms)
			select 'job-' || lpad(n::text, 5, '0'), 'Job ' || n, 'ui', 'http', '{"url": "http://127.0.0.1:9/"}'::jsonb, '0 0 1 1 *', 'UTC', true, 1000, 1000
			from generate_series(1, ${JOBS}) as n`;
		// The second UPDATE of cron_job fails once (a sequence: the failed statement's rollback does not undo it).
		await t.sql.unsafe(`
			create sequence next_run_fault;
			create function next_run_fault() returns trigger language plpgsql as $$
			begin
				if nextval('next_run_fault') = 2 then raise exception 'injected fault: next runs'; end if;
				return null;
			end $$;
			create trigger next_run_fault before update on cron_job for each statement execute function next_run_fault();`);
	});
	afterAll(async () => {
		await a?.scheduler.stop(0);
		await t.drop();
	});

	it(`writes ${JOBS} stale next runs ${NEXT_RUN_SLICE} rows a statement, and the slice that failed on the retry`, async () => {
		a = instance(t, []);
		const slices: number[] = [];
		(a.sql.options as { debug?: unknown }).debug = (_: number, text: string, params: unknown[]) => {
			if (/update cron_job j set next_run_at/.test(text)) slices.push((params[0] as string[]).length);
		};
		await a.scheduler.start();
		const now = new Date();
		const expected = new Date(Date.UTC(now.getUTCFullYear() + 1, 0, 1));
		await eventually(async () => (await scalar(t.sql`select count(*)::int as n from cron_job where next_run_at = ${expected}`)) === JOBS, 30_000);
		expect(await scalar(t.sql`select last_value::int as n from next_run_fault`)).toBeGreaterThanOrEqual(2);
		expect(Math.max(...slices)).toBe(NEXT_RUN_SLICE);
		// Three slices, one of them failed and written again.
		expect(slices.length).toBeGreaterThanOrEqual(4);
		expect(slices.reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(JOBS + 500);
	});
});
