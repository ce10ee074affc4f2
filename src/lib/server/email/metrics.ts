/** Outbox counters for /metrics (README, "Metrics"); the by-status gauge reads the database. */
import { Counter } from 'prom-client';
import { registry } from '../metrics';

export const emailsSent = new Counter({
	name: 'cronkit_emails_sent_total',
	help: 'Outbox emails handed to the transport successfully',
	registers: [registry]
});

export const emailFailures = new Counter({
	name: 'cronkit_email_send_failures_total',
	help: 'Failed delivery attempts of outbox emails',
	registers: [registry]
});
