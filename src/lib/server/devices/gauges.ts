/**
 * Database-read gauges of the devices and email domains for /metrics: open device sessions
 * (COUNT on the partial index of open sessions) and outbox rows by status.
 */
import { Gauge } from 'prom-client';
import { EMAIL_STATUSES } from '../db/schema';
import { outboxCounts } from '../email/outbox';
import type { Sql } from 'postgres';
import { databaseGauge, registry } from '../metrics';
// The device counters register on import; /metrics lists them from its first scrape.
import './metrics';

let registered = false;

export function registerDeviceGauges(sql: Sql): void {
	if (registered) return;
	registered = true;
	databaseGauge('cronkit_device_sessions_open', 'Open device sessions (one at most per access key)', async () => {
		const [row] = await sql<{ n: number }[]>`select count(*)::int as n from device_session where ended_at is null`;
		return row!.n;
	});
	if (registry.getSingleMetric('cronkit_email_outbox')) return;
	new Gauge({
		name: 'cronkit_email_outbox',
		help: 'Outbox emails by status (pending, sent, failed)',
		labelNames: ['status'] as const,
		registers: [registry],
		async collect() {
			const counts = await outboxCounts(sql).catch(() => null);
			for (const status of EMAIL_STATUSES) this.set({ status }, counts ? counts[status] : NaN);
		}
	});
}
