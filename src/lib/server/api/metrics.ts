/**
 * Database-backed gauges for /metrics (SPEC §8.4): read on scrape from the partial indexes on
 * queued and running runs, with one query shared by the three gauges of a scrape.
 */
import { registerAlertGauges } from '../alerts/metrics';
import { registerDeviceGauges } from '../devices/gauges';
import { liveSummary, type LiveSummary } from '../instances/registry';
import { databaseGauge } from '../metrics';
import { runtime } from '../runtime';

type Counts = { queued: number; running: number; expired: number };

let pending: Promise<Counts> | null = null;

/** One query per scrape: concurrent readers share the one in flight. */
function counts(): Promise<Counts> {
	pending ??= runtime()
		.database.sql<Counts[]>`
			select count(*) filter (where status = 'queued')::int as queued,
				count(*) filter (where status = 'running')::int as running,
				count(*) filter (where status = 'running' and lease_expires_at < now())::int as expired
			from cron_job_execution where status in ('queued', 'running')`
		.then((rows) => rows[0]!)
		.finally(() => {
			pending = null;
		});
	return pending;
}

let summary: Promise<LiveSummary> | null = null;

function live(): Promise<LiveSummary> {
	summary ??= liveSummary(runtime().database.sql).finally(() => {
		summary = null;
	});
	return summary;
}

let registered = false;

export function registerDatabaseGauges(): void {
	if (registered) return;
	registered = true;
	registerDeviceGauges();
	registerAlertGauges(() => runtime().database.sql);
	databaseGauge('cronkit_queue_depth', 'Runs waiting in the queue (status queued)', async () => (await counts()).queued);
	databaseGauge('cronkit_running_runs', 'Runs in progress (status running), across instances', async () => (await counts()).running);
	databaseGauge(
		'cronkit_expired_leases',
		'Running runs whose lease has expired (their instance stopped heartbeating; reaped soon)',
		async () => (await counts()).expired
	);
	databaseGauge('cronkit_workers_live', 'Live instances that run the scheduler (CRON_ROLE all or worker)', async () => (await live()).workers);
	databaseGauge(
		'cronkit_queue_due_runs',
		'Queued runs due now; with no live worker they wait until one starts or POST /api/cron/run is called',
		async () => (await live()).due
	);
}
