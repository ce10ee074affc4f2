/**
 * Cronkit in a trial: the repository's own Scheduler (src/lib/server/cron), built into the
 * bench's bundle, on the app's pool (openPool) and migrations. Queue: no-op `queued` manual
 * runs spread over code jobs with overlap `allow` (as bench/throughput.ts). Cron: 200 code jobs
 * due at the instant. Idle: what a worker process runs, the Scheduler, the instance registry and
 * the alerts (`idleWorker` in bench/lib.ts).
 */
import path from 'node:path';
import pino from 'pino';
import type { Sql } from 'postgres';
import { syncCodeJobs } from '../../src/lib/server/cron/jobs';
import { defineJob, type RegisteredJob } from '../../src/lib/server/cron/types';
import { openPool, unbounded } from '../../src/lib/server/db';
import { migrate } from '../../src/lib/server/db/migrate';
import { createScheduler, idleWorker } from '../lib';
import { sleep } from '../time';
import type { Kept } from './protocol';
import { farSchedules, onceAt, SCHEMA_BYTES, type System } from './rig';

/** Errors and warnings reach the trial's stderr; the rest is dropped, as in every bench. */
const log = pino({ level: 'warn' }, pino.destination(2));

async function prepare(url: string, root: string, pool: number): Promise<Sql> {
	const sql = openPool(url, pool);
	await migrate(sql, path.join(root, 'drizzle'));
	return sql;
}

function jobs(n: number, prefix: string, schedule: (i: number) => string, handler: () => void, extra: Partial<RegisteredJob> = {}): RegisteredJob[] {
	return Array.from({ length: n }, (_, i) =>
		defineJob({ key: `${prefix}-${String(i).padStart(4, '0')}`, name: `${prefix} ${i}`, schedule: schedule(i), handler, ...extra })
	);
}

async function kept(admin: Sql): Promise<Kept> {
	const rows = await admin<{ status: string; n: number }[]>`
		select status, count(*)::int as n from cron_job_execution group by status order by status`;
	const [{ bytes }] = await admin.unsafe<[{ bytes: number }]>(SCHEMA_BYTES, ['public']);
	const runs = rows.map((r) => `${r.n} ${r.status}`).join(', ') || 'none';
	return { rows: `cron_job_execution: ${runs} (run history, pruned after executions.retentionDays)`, bytes };
}

export const cronkit: System = {
	async queue(spec, admin) {
		const sql = await prepare(spec.url, spec.root, spec.pool);
		let onJob = () => {};
		const definitions = jobs(spec.cronkitJobs, 'q', () => farSchedules(1)[0]!, () => onJob(), { overlap: 'allow', catchUp: 'skip' });
		await syncCodeJobs(sql, definitions);
		// Seeding, exempt from DB_STATEMENT_TIMEOUT_MS.
		await unbounded(sql)`
			insert into cron_job_execution (job_id, trigger, run_at, status, triggered_by)
			select 'q-' || lpad((g % ${spec.cronkitJobs})::text, 4, '0'), 'manual', now(), 'queued', 'bench'
			from generate_series(1, ${spec.jobs}::int) g`;
		const scheduler = createScheduler(sql, definitions, { concurrency: spec.inFlight, log });
		return {
			channels: ['cronkit_runs', 'cronkit'],
			async start(cb) {
				onJob = cb;
				await scheduler.start();
			},
			async completed() {
				const [{ n }] = await admin<[{ n: number }]>`select count(*)::int as n from cron_job_execution where status = 'succeeded'`;
				return n;
			},
			kept: () => kept(admin),
			async stop() {
				await scheduler.stop(5_000);
				await sql.end({ timeout: 2 });
			}
		};
	},

	async cron(spec, onStart, admin) {
		const sql = await prepare(spec.url, spec.root, 20);
		// Six fields: the instant may be a second boundary (main.ts puts Cronkit at :30).
		const second = new Date(spec.at).getUTCSeconds();
		const scheduler = createScheduler(sql, jobs(spec.jobs, 'cron', () => `${second} ${onceAt(spec.at)}`, onStart), { log });
		await scheduler.start();
		return {
			kept: () => kept(admin),
			// As bench/fire-lag.ts breaks it down: the claim INSERT and the recorded start by the
			// database's clock, and how uncertain this process's estimate of that clock was.
			async detail() {
				type Row = { claim: number | null; started: number | null; unrecorded: number };
				let r: Row | undefined;
				// started_at is written just after the handlers start (a deferred write): give it 2 s.
				for (let i = 0; i < 20 && (!r || r.unrecorded > 0); i++) {
					if (r) await sleep(100);
					[r] = await admin<[Row]>`
						select percentile_cont(0.5) within group (order by extract(epoch from created_at - scheduled_for) * 1000)::float8 as claim,
							percentile_cont(0.5) within group (order by extract(epoch from started_at - scheduled_for) * 1000)::float8 as started,
							count(*) filter (where started_at is null)::int as unrecorded
						from cron_job_execution where trigger = 'schedule'`;
				}
				const ms = (v: number | null | undefined) => (v == null ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} ms`);
				const time = scheduler.engine.time;
				return `claim INSERT at ${ms(r?.claim)}, started_at at ${ms(r?.started)} from the instant (medians, database clock); clock estimate ±${time.uncertaintyMs.toFixed(1)} ms`;
			},
			async stop() {
				await scheduler.stop(5_000);
				await sql.end({ timeout: 2 });
			}
		};
	},

	async idle(spec, admin) {
		const sql = await prepare(spec.url, spec.root, 20);
		const schedules = farSchedules(spec.schedules);
		const worker = idleWorker(sql, jobs(spec.schedules, 'idle', (i) => schedules[i]!, () => {}), log);
		await worker.start();
		return {
			kept: () => kept(admin),
			async stop() {
				await worker.stop();
				await sql.end({ timeout: 2 });
			}
		};
	}
};
