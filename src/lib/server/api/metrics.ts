/**
 * Database-backed gauges for /metrics (README, "Metrics"): read on scrape from the partial
 * indexes on queued and running runs, with one query shared by the three gauges of a scrape.
 */
import type { Sql } from 'postgres';
import { registerAlertGauges } from '../alerts/metrics';
import { registerDeviceGauges } from '../devices/gauges';
import { liveSummary, type LiveSummary } from '../instances/registry';
import { databaseGauge } from '../metrics';

type Counts = { queued: number; running: number; expired: number };

let pending: Promise<Counts> | null = null;

/**
 * One query per scrape: concurrent readers share the one in flight. The active statuses are
 * spelled out (not bound), one count each: the partial indexes on queued and running runs
 * match only literals, and no one index holds both (the status index leaves out `running`).
 */
function counts(sql: Sql): Promise<Counts> {
	pending ??= sql<Counts[]>`
			select (select count(*) from cron_job_execution where status = 'queued')::int as queued,
				(select count(*) from cron_job_execution where status = 'running')::int as running,
				(select count(*) from cron_job_execution where status = 'running' and lease_expires_at < now())::int as expired`
		.then((rows) => rows[0]!)
		.finally(() => {
			pending = null;
		});
	return pending;
}

let summary: Promise<LiveSummary> | null = null;

function live(sql: Sql): Promise<LiveSummary> {
	summary ??= liveSummary(sql).finally(() => {
		summary = null;
	});
	return summary;
}

let registered = false;

/** Registers the gauges once per process, reading through `sql` (the pool of the first caller). */
export function registerDatabaseGauges(sql: Sql): void {
	if (registered) return;
	registered = true;
	registerDeviceGauges(sql);
	registerAlertGauges(sql);
	databaseGauge('cronkit_queue_depth', 'Runs waiting in the queue (status queued)', async () => (await counts(sql)).queued);
	databaseGauge('cronkit_running_runs', 'Runs in progress (status running), across instances', async () => (await counts(sql)).running);
	databaseGauge(
		'cronkit_expired_leases',
		'Running runs whose lease has expired (their instance stopped heartbeating; reaped soon)',
		async () => (await counts(sql)).expired
	);
	databaseGauge('cronkit_workers_live', 'Live instances that run the scheduler (CRON_ROLE all or worker)', async () => (await live(sql)).workers);
	databaseGauge(
		'cronkit_queue_due_runs',
		'Queued runs due now; with no live worker they wait until one starts or POST /api/cron/run is called',
		async () => (await live(sql)).due
	);
}
