import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { eventually, instance, type Instance } from '../../../../tests/helpers/scheduler';
import { defineJob } from './types';

describe('scheduler basics', () => {
	let t: TestDatabase;
	let a: Instance;
	const ran: number[] = [];
	beforeAll(async () => {
		t = await createTestDatabase();
		a = instance(t, [
			defineJob({ key: 'every-second', name: 'Every second', schedule: '* * * * * *', handler: ({ execution }) => void ran.push(execution.id) })
		]);
		await a.scheduler.start();
	});
	afterAll(async () => {
		await a.scheduler.close();
		await t.drop();
	});

	it('runs a code job every second and records it', async () => {
		await eventually(async () => ran.length >= 2);
		const rows = await t.sql`select status, trigger from cron_job_execution where job_id = 'every-second' and status = 'succeeded'`;
		expect(rows.length).toBeGreaterThanOrEqual(2);
		expect(rows[0]).toMatchObject({ trigger: 'schedule' });
	});
});
