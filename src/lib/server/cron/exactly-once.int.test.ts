import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { instance, sleep, type Instance } from '../../../../tests/helpers/scheduler';
import { defineJob, type RegisteredJob } from './types';

const JOBS = 40;
const SECONDS = 8;

describe('exactly once across three instances', () => {
	let t: TestDatabase;
	let instances: Instance[];
	/** Every handler call, by `${job}@${tick}`, across all instances. */
	const calls = new Map<string, string[]>();

	beforeAll(async () => {
		t = await createTestDatabase();
		const definitions = (name: string): RegisteredJob[] =>
			Array.from({ length: JOBS }, (_, i) =>
				defineJob({
					key: `tick-${i}`,
					name: `Tick ${i}`,
					schedule: '* * * * * *',
					handler: ({ execution }) => {
						const k = `${execution.jobKey}@${execution.scheduledFor?.toISOString()}`;
						calls.set(k, [...(calls.get(k) ?? []), name]);
					}
				})
			);
		instances = ['a', 'b', 'c'].map((name) => instance(t, definitions(name), { name }));
	});
	afterAll(async () => {
		await Promise.all(instances.map((i) => i.scheduler.close()));
		await t.drop();
	});

	it(`claims each of ${JOBS} every-second jobs once per tick for ${SECONDS} s`, async () => {
		await Promise.all(instances.map((i) => i.scheduler.start()));
		const from = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
		await sleep(SECONDS * 1000);
		const to = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
		await Promise.all(instances.map((i) => i.scheduler.stop(5_000)));

		// No tick was handled twice, by the same or another instance.
		const doubles = [...calls.entries()].filter(([, who]) => who.length > 1);
		expect(doubles).toEqual([]);

		// Every tick in the window has exactly one row, and it ran.
		const rows = await t.sql<{ jobKey: string; scheduledFor: Date; status: string; instanceId: string }[]>`
			select job_id as "jobKey", scheduled_for as "scheduledFor", status, instance_id as "instanceId"
			from cron_job_execution where scheduled_for between ${from} and ${to}`;
		const expectedTicks = ((to.getTime() - from.getTime()) / 1000 + 1) * JOBS;
		expect(rows).toHaveLength(expectedTicks);
		expect(rows.filter((r) => r.status !== 'succeeded')).toEqual([]);
		for (const r of rows) expect(calls.get(`${r.jobKey}@${r.scheduledFor.toISOString()}`)).toHaveLength(1);
		// No leader: whichever instance inserted a tick ran it.
		for (const r of rows) expect(['a', 'b', 'c']).toContain(r.instanceId);
		const dup = await scalar(t.sql`
			select count(*)::int as dup from (select job_id, scheduled_for from cron_job_execution
			where scheduled_for is not null group by 1, 2 having count(*) > 1) d`);
		expect(dup).toBe(0);
		const running = await scalar(t.sql`select count(*)::int from cron_job_execution where status = 'running'`);
		expect(running).toBe(0);
	}, 40_000);
});
