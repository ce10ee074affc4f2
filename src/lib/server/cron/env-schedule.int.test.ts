/**
 * `${NAME}` in schedules (security policy in README.md#security): read from the environment only
 * for schedules declared in code, by the scheduler; anything submitted (create, update, preview)
 * is validated without it, and no message, row or response carries a substituted value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { eventually, instance, type Instance } from '../../../../tests/helpers/scheduler';
import { ServiceError } from '../errors';
import { defineJob } from './types';

const SECRET = 'cron-secret-never-shown-4f2a9c';
const env = { CRON_SECRET: SECRET, REPORT_CRON: '30 2 * * *', BROKEN_CRON: `@${SECRET}` };
const actor = { name: 'admin@example.com' };

async function refusal(p: Promise<unknown>): Promise<ServiceError> {
	const err = await p.then(
		() => null,
		(e: unknown) => e
	);
	if (!(err instanceof ServiceError)) throw new Error(`expected a ServiceError, got ${String(err)}`);
	return err;
}

describe('schedules and the environment', () => {
	let t: TestDatabase;
	let a: Instance;
	beforeAll(async () => {
		t = await createTestDatabase();
		a = instance(
			t,
			[
				defineJob({ key: 'nightly-report', name: 'Nightly report', schedule: '${REPORT_CRON}', handler: () => undefined }),
				defineJob({ key: 'broken-report', name: 'Broken report', schedule: '${BROKEN_CRON}', handler: () => undefined })
			],
			{ env }
		);
		await a.scheduler.start();
	});
	afterAll(async () => {
		await a.scheduler.close();
		await t.drop();
	});

	it('the scheduler arms a code job from the environment; a bad value is reported by name only', async () => {
		const job = await eventually(async () => {
			const j = await a.service.getJob('nightly-report');
			return j.nextRunAt ? j : null;
		});
		expect(new Date(job.nextRunAt!).getUTCHours()).toBe(2);
		expect(new Date(job.nextRunAt!).getUTCMinutes()).toBe(30);
		const broken = await eventually(async () => (await a.service.getJob('broken-report')).configError);
		expect(broken).toBe('the value of ${BROKEN_CRON} from the environment is not a valid schedule (the value is not shown)');
		expect(JSON.stringify(await a.service.listJobs())).not.toContain(SECRET);
	});

	it('GET preview ?expr=@${CRON_SECRET} is invalid and does not echo the secret', async () => {
		for (const expr of ['@${CRON_SECRET}', '${CRON_SECRET} * * * *']) {
			const p = await a.service.preview({ expr });
			expect(p).toEqual({ valid: false, field: 'schedule', error: 'must not contain "$": ${NAME} is read from the environment only for schedules declared in code' });
		}
	});

	it('job create refuses a schedule with ${NAME}, naming the field, without the value', async () => {
		const err = await refusal(
			a.service.createJob({ key: 'leak', name: 'Leak', type: 'http', schedule: '@${CRON_SECRET}', params: { url: 'http://127.0.0.1:9/' } }, actor)
		);
		expect(err.status).toBe(400);
		expect(err.issues.map((i) => i.path)).toEqual(['schedule']);
		expect(JSON.stringify(err.toJSON())).not.toContain(SECRET);
		expect(await scalar(t.sql`select count(*)::int from cron_job where key = 'leak'`)).toBe(0);
	});

	it('an edit that only changes max retries keeps ${REPORT_CRON}; a new ${NAME} is refused', async () => {
		const saved = await a.service.updateJob('nightly-report', { schedule: '${REPORT_CRON}', maxRetries: 3 }, actor);
		expect(saved).toMatchObject({ schedule: '${REPORT_CRON}', maxRetries: 3 });
		expect(await a.service.updateJob('nightly-report', { timeoutMs: 5000 }, actor)).toMatchObject({ schedule: '${REPORT_CRON}', timeoutMs: 5000 });
		const err = await refusal(a.service.updateJob('nightly-report', { schedule: '${CRON_SECRET}' }, actor));
		expect(err.issues.map((i) => i.path)).toEqual(['schedule']);
		expect(JSON.stringify(err.toJSON())).not.toContain(SECRET);
		// Back to the code default from a plain schedule: accepted unchanged too.
		await a.service.updateJob('nightly-report', { schedule: '0 3 * * *' }, actor);
		expect(await a.service.updateJob('nightly-report', { schedule: '${REPORT_CRON}' }, actor)).toMatchObject({ schedule: '${REPORT_CRON}' });
	});

	it('the preview of the edited job describes its own ${NAME} schedule without reading it', async () => {
		const p = await a.service.preview({ expr: '${REPORT_CRON}', job: 'nightly-report' });
		expect(p).toMatchObject({ valid: true, nextRuns: [], description: '${REPORT_CRON}, read from the environment by the scheduler' });
		expect(await a.service.preview({ expr: '${CRON_SECRET}', job: 'nightly-report' })).toMatchObject({ valid: false, field: 'schedule' });
	});

	it('no audit row or stored message carries the substituted value', async () => {
		const rows = await t.sql`select before, after from audit_log`;
		expect(JSON.stringify(rows)).not.toContain(SECRET);
		expect(JSON.stringify(rows)).not.toContain('30 2 * * *');
		expect(JSON.stringify(await t.sql`select config_error from cron_job`)).not.toContain(SECRET);
	});
});
