/**
 * pg-boss 12 in a trial (a dependency of this bench only). Queue: one queue, jobs added with
 * insert() in bulk, one work() with `batchSize` 50 and as many local workers as needed for the
 * jobs in flight (`localConcurrency` = in flight / 50), fetching again at once while batches come
 * back full (`burstWhenBatchFull`; without it a worker waits `pollingIntervalSeconds`, 2 s,
 * between fetches). Cron and idle: schedule() on one queue with one key per schedule, one worker
with the same fetch options (pg-boss's default `batchSize` is 1: a worker on defaults would take a
poll interval per job). Variant `pg-boss-1s`:
 * the cron monitor, the cron worker and the job worker's poll every second instead of 30 s, 5 s
 * and 2 s.
 */
import { PgBoss } from 'pg-boss';
import type { Sql } from 'postgres';
import type { Kept, SystemId } from './protocol';
import { farSchedules, onceAt, SCHEMA_BYTES, type System } from './rig';

const QUEUE = 'bench';
const BATCH = 50;
const INSERT_CHUNK = 5_000;

function boss(url: string, pool: number, variant: SystemId): PgBoss {
	const fast = variant === 'pg-boss-1s' ? { cronMonitorIntervalSeconds: 1, cronWorkerIntervalSeconds: 1 } : {};
	const b = new PgBoss({ connectionString: url, max: pool, ...fast });
	b.on('error', (err) => console.error(`pg-boss: ${err.message}`));
	return b;
}

const pollEvery = (variant: SystemId) => (variant === 'pg-boss-1s' ? { pollingIntervalSeconds: 1 } : {});

async function kept(admin: Sql): Promise<Kept> {
	const rows = await admin<{ state: string; n: number }[]>`select state, count(*)::int as n from pgboss.job group by state order by state`;
	const [{ bytes }] = await admin.unsafe<[{ bytes: number }]>(SCHEMA_BYTES, ['pgboss']);
	const jobs = rows.map((r) => `${r.n} ${r.state}`).join(', ') || 'none';
	return { rows: `pgboss.job: ${jobs} (completed jobs deleted after deleteAfterSeconds, 7 days by default)`, bytes };
}

export const pgBoss: System = {
	async queue(spec, admin) {
		const b = boss(spec.url, spec.pool, spec.system);
		await b.start();
		await b.createQueue(QUEUE);
		for (let left = spec.jobs; left > 0; left -= INSERT_CHUNK) {
			await b.insert(
				QUEUE,
				Array.from({ length: Math.min(INSERT_CHUNK, left) }, () => ({ data: {} }))
			);
		}
		return {
			channels: [],
			async start(onJob) {
				await b.work(QUEUE, { batchSize: BATCH, localConcurrency: Math.max(1, Math.round(spec.inFlight / BATCH)), burstWhenBatchFull: true }, async (jobs) => {
					for (let i = 0; i < jobs.length; i++) onJob();
				});
			},
			async completed() {
				const [{ n }] = await admin<[{ n: number }]>`select count(*)::int as n from pgboss.job where name = ${QUEUE} and state = 'completed'`;
				return n;
			},
			kept: () => kept(admin),
			stop: () => b.stop({ graceful: true, timeout: 5_000 })
		};
	},

	async cron(spec, onStart, admin) {
		const b = boss(spec.url, 20, spec.system);
		await b.start();
		await b.createQueue(QUEUE);
		for (let i = 0; i < spec.jobs; i++) await b.schedule(QUEUE, onceAt(spec.at), { i }, { key: `k${i}` });
		await b.work(QUEUE, { batchSize: BATCH, burstWhenBatchFull: true, ...pollEvery(spec.system) }, async (jobs) => {
			for (let i = 0; i < jobs.length; i++) onStart();
		});
		return { kept: () => kept(admin), stop: () => b.stop({ graceful: true, timeout: 5_000 }) };
	},

	async idle(spec, admin) {
		const b = boss(spec.url, 20, spec.system);
		await b.start();
		await b.createQueue(QUEUE);
		const schedules = farSchedules(spec.schedules);
		for (let i = 0; i < schedules.length; i++) await b.schedule(QUEUE, schedules[i]!, { i }, { key: `k${i}` });
		await b.work(QUEUE, { batchSize: BATCH, burstWhenBatchFull: true, ...pollEvery(spec.system) }, async () => {});
		return { kept: () => kept(admin), stop: () => b.stop({ graceful: true, timeout: 5_000 }) };
	}
};
