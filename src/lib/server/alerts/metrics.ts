/** Alerts and monitors in /metrics (README.md#metrics-1): deliveries, and gauges read on scrape. */
import type { Sql } from 'postgres';
import { Counter } from 'prom-client';
import { databaseGauge, registry } from '../metrics';

export const deliveredTotal = new Counter({
	name: 'cronkit_notifications_total',
	help: 'Delivery attempts of notifications by event and result (delivered, retry, failed)',
	labelNames: ['event', 'result'] as const,
	registers: [registry]
});

/** The gauges' one query per scrape. */
async function counts(sql: Sql): Promise<{ undelivered: number; failed: number; monitorsDown: number }> {
	const [row] = await sql<{ undelivered: number; failed: number; monitorsDown: number }[]>`
		select (select count(*)::int from notification where status in ('pending', 'sending')) as undelivered,
			(select count(*)::int from notification where status = 'failed' and last_attempt_at > now() - interval '24 hours') as failed,
			(select count(*)::int from monitor where status = 'down') as "monitorsDown"`;
	return row!;
}

export function registerAlertGauges(sql: Sql): void {
	let pending: ReturnType<typeof counts> | null = null;
	const shared = () => (pending ??= counts(sql).finally(() => (pending = null)));
	databaseGauge('cronkit_notifications_undelivered', 'Notifications not delivered yet (pending or being sent), across instances', async () => (await shared()).undelivered);
	databaseGauge(
		'cronkit_notifications_failed',
		'Notifications given up in the last 24 hours (every attempt failed, or the outbox failed the email)',
		async () => (await shared()).failed
	);
	databaseGauge('cronkit_monitors_down', 'Push monitors whose status is down', async () => (await shared()).monitorsDown);
}
