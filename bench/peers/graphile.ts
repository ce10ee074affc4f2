/**
 * Graphile Worker 0.18 in a trial (a dependency of this bench only). Two configurations:
 * `graphile`: its defaults (each of `concurrency` workers fetches and completes its own jobs,
 * one statement each), `graphile-batched`: the batching its performance guide describes (a
 * local queue of 200 jobs fetched in one statement, completions gathered with
 * `completeJobBatchDelay` 0). Pool 20 like the others. Jobs are added with addJobs() in bulk;
 * cron entries are crontab lines with one identifier each. Completed jobs are deleted.
 */
import { Logger, makeWorkerUtils, run, runMigrations, type Runner } from 'graphile-worker';
import type { Sql } from 'postgres';
import type { Kept, SystemId } from './protocol';
import { farSchedules, onceAt, SCHEMA_BYTES, type System } from './rig';

const TASK = 'noop';
const LOCAL_QUEUE = 200;
const ADD_CHUNK = 5_000;
/** Concurrency of the cron and idle trials. */
const WORKERS = 50;

/**
 * Warnings and errors reach the trial's stderr; per-job info lines are dropped, and so is the
 * advice to make the pool larger than the concurrency (every system gets the same pool here).
 */
const logger = new Logger(() => (level, message) => {
	if ((level === 'error' || level === 'warning') && !message.includes('maxPoolSize')) console.error(`graphile-worker: ${message}`);
});

function start(url: string, variant: SystemId, concurrency: number, pool: number, task: () => void, crontab?: string): Promise<Runner> {
	const batched = variant === 'graphile-batched';
	return run({
		connectionString: url,
		concurrency,
		maxPoolSize: pool,
		noHandleSignals: true,
		logger,
		taskList: { [TASK]: async () => task() },
		crontab,
		preset: batched
			? { worker: { localQueue: { size: Math.max(LOCAL_QUEUE, concurrency) }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
			: undefined
	});
}

async function kept(admin: Sql): Promise<Kept> {
	const [{ n }] = await admin<[{ n: number }]>`select count(*)::int as n from graphile_worker._private_jobs`;
	const [{ bytes }] = await admin.unsafe<[{ bytes: number }]>(SCHEMA_BYTES, ['graphile_worker']);
	return { rows: `graphile_worker._private_jobs: ${n} rows (a completed job is deleted: no history)`, bytes };
}

export const graphile: System = {
	async queue(spec, admin) {
		await runMigrations({ connectionString: spec.url, logger });
		const utils = await makeWorkerUtils({ connectionString: spec.url, logger });
		try {
			for (let left = spec.jobs; left > 0; left -= ADD_CHUNK) {
				await utils.addJobs(Array.from({ length: Math.min(ADD_CHUNK, left) }, () => ({ identifier: TASK, payload: {} })));
			}
		} finally {
			await utils.release();
		}
		let runner: Runner | undefined;
		return {
			channels: ['jobs:insert', 'worker:migrate'],
			async start(onJob) {
				runner = await start(spec.url, spec.system, spec.inFlight, spec.pool, onJob);
			},
			async completed() {
				const [{ n }] = await admin<[{ n: number }]>`select count(*)::int as n from graphile_worker._private_jobs`;
				return spec.jobs - n;
			},
			kept: () => kept(admin),
			stop: async () => runner?.stop()
		};
	},

	async cron(spec, onStart, admin) {
		await runMigrations({ connectionString: spec.url, logger });
		const crontab = Array.from({ length: spec.jobs }, (_, i) => `${onceAt(spec.at)} ${TASK} ?id=c${i}`).join('\n');
		const runner = await start(spec.url, spec.system, WORKERS, 20, onStart, crontab);
		return { kept: () => kept(admin), stop: () => runner.stop() };
	},

	async idle(spec, admin) {
		await runMigrations({ connectionString: spec.url, logger });
		const crontab = farSchedules(spec.schedules)
			.map((s, i) => `${s} ${TASK} ?id=c${i}`)
			.join('\n');
		const batched = spec.system === 'graphile-batched';
		const runner = await start(spec.url, spec.system, batched ? WORKERS : 1, batched ? 20 : 10, () => {}, crontab);
		return { kept: () => kept(admin), stop: () => runner.stop() };
	}
};
