import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { eventually, instance, sleep, type Instance } from '../../../../tests/helpers/scheduler';
import { defineJob, type RegisteredJob } from './types';

type Row = { id: number; status: string; trigger: string; attempt: number; errorMessage: string | null; scheduledFor: Date | null; startedAt: Date | null; finishedAt: Date | null; runAt: Date; retryOf: number | null; exclusive: boolean };

let t: TestDatabase | undefined;
const started: Instance[] = [];

async function setup(definitions: RegisteredJob[], opts: Parameters<typeof instance>[2] = {}): Promise<Instance> {
	t ??= await createTestDatabase();
	const i = instance(t, definitions, opts);
	started.push(i);
	return i;
}

function runs(job: string): Promise<Row[]> {
	return t!.sql<Row[]>`
		select id, status, trigger, attempt, error_message as "errorMessage", scheduled_for as "scheduledFor",
			started_at as "startedAt", finished_at as "finishedAt", run_at as "runAt", retry_of as "retryOf", exclusive
		from cron_job_execution where job_id = ${job} order by id`;
}

afterEach(async () => {
	await Promise.all(started.splice(0).map((i) => i.scheduler.close(1000).catch(() => undefined)));
	await t?.drop();
	t = undefined;
});

/** A handler that blocks until the test opens the gate: the test decides how long a run lasts. */
function gate() {
	let open: () => void = () => undefined;
	const opened = new Promise<void>((r) => (open = r));
	return { wait: () => opened, open: () => open() };
}

/** Tracks how many copies of a handler run at once. */
function concurrency() {
	let now = 0;
	return {
		max: 0,
		async during<T>(fn: () => Promise<T>): Promise<T> {
			now++;
			this.max = Math.max(this.max, now);
			try {
				return await fn();
			} finally {
				now--;
			}
		}
	};
}

describe('overlap', () => {
	it('forbid: ticks during a run are recorded skipped and no two copies run', async () => {
		const c = concurrency();
		const g = gate();
		const a = await setup([defineJob({ key: 'slow', name: 'Slow', schedule: '* * * * * *', handler: () => c.during(g.wait) })]);
		await a.scheduler.start();
		const skipped = await eventually(async () => {
			const rows = (await runs('slow')).filter((r) => r.status === 'skipped');
			return rows.length >= 2 ? rows : null;
		});
		g.open();
		await eventually(async () => (await runs('slow')).some((r) => r.status === 'succeeded'));
		expect(c.max).toBe(1);
		expect(skipped[0]!.errorMessage).toBe('previous run still running (overlap: forbid)');
	});

	it('allow: runs overlap', async () => {
		const c = concurrency();
		const g = gate();
		const a = await setup([defineJob({ key: 'slow', name: 'Slow', schedule: '* * * * * *', overlap: 'allow', handler: () => c.during(g.wait) })]);
		await a.scheduler.start();
		await eventually(async () => c.max >= 2);
		g.open();
		await a.scheduler.stop(5000);
		expect((await runs('slow')).filter((r) => r.status === 'skipped')).toEqual([]);
	});

	it('replace: a new tick cancels the running run and starts', async () => {
		const a = await setup([
			defineJob({
				key: 'slow',
				name: 'Slow',
				schedule: '* * * * * *',
				overlap: 'replace',
				handler: ({ signal }) => new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
			})
		]);
		await a.scheduler.start();
		const cancelled = await eventually(async () => {
			const rows = (await runs('slow')).filter((r) => r.status === 'cancelled');
			return rows.length >= 2 ? rows : null;
		});
		await a.scheduler.stop(200);
		expect(cancelled[0]!.errorMessage).toMatch(/^replaced by run \d+ \(overlap: replace\)/);
		expect((await runs('slow')).filter((r) => r.status === 'running')).toEqual([]);
	});
});

describe('timeouts', () => {
	it('a handler that ignores its signal is timed_out at the deadline and keeps the slot', async () => {
		const c = concurrency();
		const g = gate();
		const a = await setup([defineJob({ key: 'deaf-handler', name: 'Deaf handler', schedule: '* * * * * *', timeoutMs: 400, handler: () => c.during(g.wait) })]);
		await a.scheduler.start();
		const first = await eventually(async () => (await runs('deaf-handler')).find((r) => r.status === 'timed_out'), 5000);
		// Marked at the deadline, not when the handler finally returned.
		expect(first.finishedAt!.getTime() - first.startedAt!.getTime()).toBeLessThan(1500);
		expect(first.errorMessage).toBe('timed out after 400 ms');
		// Ticks while the ignored handler still runs are skipped: never a second copy.
		await eventually(async () => (await runs('deaf-handler')).some((r) => r.status === 'skipped'));
		expect(c.max).toBe(1);
		expect((await runs('deaf-handler')).filter((r) => r.exclusive).map((r) => r.id)).toEqual([first.id]);
		// The handler stops at last: the slot is freed.
		g.open();
		await eventually(async () => !(await runs('deaf-handler')).some((r) => r.exclusive && r.id === first.id));
		await a.scheduler.stop(5000);
		expect(c.max).toBe(1);
	});

	it('a handler that honours its signal stops at the deadline', async () => {
		let aborted = false;
		const a = await setup([
			defineJob({
				key: 'polite',
				name: 'Polite',
				schedule: '0 0 1 1 *',
				timeoutMs: 300,
				handler: ({ signal }) =>
					new Promise<void>((_, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason))))
			})
		]);
		await a.scheduler.start();
		const { id } = await a.service.trigger('polite', 'manual', { name: 'test' });
		const row = await eventually(async () => (await runs('polite')).find((r) => r.id === id && r.status !== 'queued' && r.status !== 'running'));
		expect(row.status).toBe('timed_out');
		expect(aborted).toBe(true);
		await eventually(async () => !(await runs('polite')).some((r) => r.exclusive));
	});
});

describe('retries', () => {
	it('retries with exponential backoff, each attempt a durable row, and survive a restart', async () => {
		const calls: number[] = [];
		const failing = (name: string) => [
			defineJob({
				key: 'flaky',
				name: 'Flaky',
				schedule: '0 0 1 1 *',
				maxRetries: 2,
				handler: ({ execution }) => {
					calls.push(execution.attempt);
					throw new Error(`boom ${execution.attempt} on ${name}`);
				}
			})
		];
		const a = await setup(failing('a'), { name: 'a' });
		await a.scheduler.start();
		await a.service.trigger('flaky', 'manual', { name: 'test' });
		// Attempt 1 fails and queues attempt 2 (due ~1 s later); stop before it runs.
		await eventually(async () => (await runs('flaky')).some((r) => r.trigger === 'retry'));
		await a.scheduler.stop(1000);
		const b = await setup(failing('b'), { name: 'b' });
		await b.scheduler.start();
		const rows = await eventually(async () => {
			const r = await runs('flaky');
			return r.length === 3 && r.every((x) => x.status === 'failed') ? r : null;
		}, 15_000);
		expect(rows.map((r) => [r.trigger, r.attempt])).toEqual([
			['manual', 1],
			['retry', 2],
			['retry', 3]
		]);
		expect(rows[1]!.retryOf).toBe(rows[0]!.id);
		expect(rows[2]!.retryOf).toBe(rows[1]!.id);
		expect(rows[2]!.errorMessage).toBe('boom 3 on b');
		// Backoff 1 s then 2 s, ±20% jitter.
		const gap1 = rows[1]!.runAt.getTime() - rows[0]!.finishedAt!.getTime();
		const gap2 = rows[2]!.runAt.getTime() - rows[1]!.finishedAt!.getTime();
		expect(gap1).toBeGreaterThanOrEqual(750);
		expect(gap1).toBeLessThanOrEqual(1250);
		expect(gap2).toBeGreaterThanOrEqual(1550);
		expect(gap2).toBeLessThanOrEqual(2450);
		expect(calls).toEqual([1, 2, 3]);
		// The job's state follows its runs within a second (job-state.ts).
		const job = await eventually(async () => {
			const j = await b.service.getJob('flaky');
			return j.consecutiveFailures === 3 ? j : null;
		}, 5_000);
		expect(job.lastStatus).toBe('failed');
	});
});

describe('crash recovery', () => {
	it('a run whose instance stops heartbeating becomes interrupted within a lease period, then is retried', async () => {
		let release: () => void = () => undefined;
		const defs = (hang: boolean) => [
			defineJob({
				key: 'long',
				name: 'Long',
				schedule: '0 0 1 1 *',
				maxRetries: 1,
				handler: () => (hang ? new Promise<void>((r) => (release = r)) : undefined)
			})
		];
		const a = await setup(defs(true), { name: 'doomed', leaseMs: 1500 });
		const b = await setup(defs(false), { name: 'survivor', leaseMs: 1500 });
		await a.scheduler.start();
		await a.service.trigger('long', 'manual', { name: 'test' });
		const running = await eventually(async () => (await runs('long')).find((r) => r.status === 'running'));
		// The instance "dies": its connections drop, so it can neither renew nor finish.
		await a.sql.end({ timeout: 0 });
		const diedAt = Date.now();
		await b.scheduler.start();
		const interrupted = await eventually(async () => (await runs('long')).find((r) => r.id === running.id && r.status === 'interrupted'), 6000);
		expect(Date.now() - diedAt).toBeLessThan(1500 * 2 + 1000);
		expect(interrupted.errorMessage).toBe('lease expired: instance doomed stopped heartbeating');
		const retried = await eventually(async () => (await runs('long')).find((r) => r.retryOf === running.id && r.status === 'succeeded'), 6000);
		expect(retried.attempt).toBe(2);
		expect(await scalar(t!.sql`select count(*)::int from cron_job_execution where status = 'running' or exclusive`)).toBe(0);
		release();
	});
});

describe('catch-up after downtime', () => {
	const everyMinute = (catchUp: 'skip' | 'once' | 'all', handler = () => undefined, maxAgeMin = 60) =>
		defineJob({ key: 'minutely', name: 'Minutely', schedule: '* * * * *', catchUp, catchUpMaxAgeMs: maxAgeMin * 60_000, handler });

	/** Boots once to register the job, then pretends the last 10 minutes were downtime. */
	async function afterDowntime(def: RegisteredJob): Promise<Instance> {
		const boot = await setup([def]);
		await boot.scheduler.start();
		await boot.scheduler.stop(1000);
		await t!.sql`delete from cron_job_execution`;
		await t!.sql`update cron_job set ticks_owed_since = now() - interval '10 minutes 30 seconds'`;
		const next = await setup([def]);
		await next.scheduler.start();
		return next;
	}

	it('skip records every missed tick as missed', async () => {
		await afterDowntime(everyMinute('skip'));
		const rows = await runs('minutely');
		expect(rows.length).toBeGreaterThanOrEqual(10);
		// A tick that fell due within the late tolerance of the boot runs as a scheduled tick
		// (not a catch-up run): at most the latest one, when the boot came just after a minute.
		const ran = rows.filter((r) => r.trigger === 'schedule' && r.status !== 'missed');
		expect(ran.length).toBeLessThanOrEqual(1);
		if (ran.length) expect(ran[0]!.scheduledFor!.getTime()).toBe(Math.max(...rows.map((r) => r.scheduledFor!.getTime())));
		expect(rows.filter((r) => !ran.includes(r)).every((r) => r.status === 'missed')).toBe(true);
	});

	/** Runs for owed ticks: catch-up runs, and the latest one as a scheduled run when it fell due within the late tolerance of the boot. */
	const ranFor = (rows: Awaited<ReturnType<typeof runs>>) => rows.filter((r) => r.trigger === 'catch_up' || (r.trigger === 'schedule' && r.status !== 'missed'));

	it('once runs the latest missed tick once and records the rest missed', async () => {
		await afterDowntime(everyMinute('once'));
		const rows = await eventually(async () => {
			const r = await runs('minutely');
			return r.some((x) => x.status === 'succeeded') ? r : null;
		});
		const ran = ranFor(rows);
		expect(ran).toHaveLength(1);
		const latest = Math.max(...rows.map((r) => r.scheduledFor!.getTime()));
		expect(ran[0]!.scheduledFor!.getTime()).toBe(latest);
		expect(rows.filter((r) => r.status === 'missed').length).toBeGreaterThanOrEqual(9);
	});

	it('all runs each missed tick, and ticks older than the max age are missed', async () => {
		await afterDowntime(everyMinute('all', () => undefined, 5));
		const rows = await eventually(async () => {
			const r = await runs('minutely');
			const ran = ranFor(r);
			return ran.length && ran.every((x) => x.status === 'succeeded') ? r : null;
		});
		const ran = ranFor(rows);
		const missed = rows.filter((r) => r.status === 'missed');
		expect(ran.length).toBeGreaterThanOrEqual(4);
		expect(ran.length).toBeLessThanOrEqual(5);
		expect(missed.length).toBeGreaterThanOrEqual(5);
		expect(missed.every((r) => r.errorMessage!.includes('older than catch-up max age'))).toBe(true);
		// Every owed tick is accounted for exactly once.
		expect(new Set(rows.map((r) => r.scheduledFor!.getTime())).size).toBe(rows.length);
	});
});

describe('pause, live config and shutdown', () => {
	it('global pause records ticks as skipped, manual runs still work, and every instance hears it within 1 s', async () => {
		const ran: string[] = [];
		const defs = [defineJob({ key: 'tick', name: 'Tick', schedule: '* * * * * *', handler: ({ execution }) => void ran.push(execution.trigger) })];
		const a = await setup(defs, { name: 'a' });
		const b = await setup(defs, { name: 'b' });
		await Promise.all([a.scheduler.start(), b.scheduler.start()]);
		await eventually(async () => ran.length >= 1);
		const pausedAt = Date.now();
		await a.service.updateSettings({ 'scheduler.paused': true }, { name: 'test' });
		// Ticks from a second after the pause on are skipped, whichever instance claims them.
		const skipped = await eventually(async () => {
			const rows = (await runs('tick')).filter((r) => r.status === 'skipped' && r.scheduledFor!.getTime() > pausedAt + 1000);
			return rows.length >= 2 ? rows : null;
		});
		const late = await t!.sql`select 1 from cron_job_execution where job_id = 'tick' and status <> 'skipped' and scheduled_for > ${new Date(pausedAt + 1000)}`;
		expect(late).toHaveLength(0);
		expect(skipped.at(-1)!.errorMessage).toBe('scheduler paused');
		await b.service.trigger('tick', 'manual', { name: 'test' });
		await eventually(async () => ran.includes('manual'));
	});

	it('a schedule edit on one instance re-arms the others within 1 s, and a restart keeps it', async () => {
		const defs = [defineJob({ key: 'edit-me', name: 'Edit me', schedule: '0 0 1 1 *', handler: () => undefined })];
		const a = await setup(defs, { name: 'a', resyncMs: 60_000 });
		const b = await setup(defs, { name: 'b', resyncMs: 60_000 });
		await Promise.all([a.scheduler.start(), b.scheduler.start()]);
		await a.service.updateJob('edit-me', { schedule: '* * * * * *' }, { name: 'test' });
		// Both instances armed the new schedule within a second (no resync: the notification).
		await eventually(async () => [a, b].every((i) => Date.parse(i.scheduler.status().nextTickAt ?? '') - Date.now() <= 1000), 1000, 20);
		await eventually(async () => (await runs('edit-me')).length >= 1);
		// b heard it too: disable on b, and neither runs it from a second after.
		const disabledAt = Date.now();
		await b.service.setEnabled('edit-me', false, { name: 'test' });
		await eventually(async () => [a, b].every((i) => i.scheduler.status().nextTickAt === null), 1000, 20);
		expect(await scalar(t!.sql`select count(*)::int from cron_job_execution where job_id = 'edit-me' and scheduled_for > ${new Date(disabledAt + 1000)}`)).toBe(0);
		// A restart (code sync with the unchanged code default) keeps the admin's edits.
		await a.scheduler.stop(1000);
		const c = await setup(defs, { name: 'c' });
		await c.scheduler.start();
		const job = await c.service.getJob('edit-me');
		expect(job).toMatchObject({ schedule: '* * * * * *', enabled: false, drift: ['schedule', 'enabled'] });
	});

	it('shutdown waits for running handlers within the grace period and interrupts the rest', async () => {
		const defs = [
			defineJob({ key: 'quick', name: 'Quick', schedule: '0 0 1 1 *', handler: () => sleep(500) }),
			defineJob({ key: 'endless', name: 'Endless', schedule: '0 0 1 1 *', handler: () => gate().wait() })
		];
		const a = await setup(defs);
		await a.scheduler.start();
		await a.service.trigger('quick', 'manual', { name: 'test' });
		await a.service.trigger('endless', 'manual', { name: 'test' });
		await eventually(async () => (await t!.sql`select 1 from cron_job_execution where status = 'running'`).length === 2);
		const t0 = Date.now();
		await a.scheduler.stop(1500);
		expect(Date.now() - t0).toBeLessThan(4000);
		expect((await runs('quick'))[0]!.status).toBe('succeeded');
		const endless = (await runs('endless'))[0]!;
		expect(endless.status).toBe('interrupted');
		expect(endless.errorMessage).toMatch(/shut down before the run finished/);
		expect(await scalar(t!.sql`select count(*)::int from cron_job_execution where status = 'running' or exclusive`)).toBe(0);
	});
});
