/** Device-session counters for /metrics (README, "Metrics"); the gauges (gauges.ts) read the database. */
import { Counter } from 'prom-client';
import type { EndReason } from '../db/schema';
import { registry } from '../metrics';

export const sessionsStarted = new Counter({
	name: 'cronkit_device_sessions_started_total',
	help: 'Device sessions started through POST /api/session/start',
	registers: [registry]
});

export const sessionsEnded = new Counter({
	name: 'cronkit_device_sessions_ended_total',
	help: 'Device sessions ended, by reason (ended, replaced, expired, revoked)',
	labelNames: ['reason'] as const,
	registers: [registry]
});

export const heartbeats = new Counter({
	name: 'cronkit_device_heartbeats_total',
	help: 'Heartbeats received, by result (ok, terminated, expired, revoked, not_found)',
	labelNames: ['result'] as const,
	registers: [registry]
});

/** The hot path's series, resolved once rather than per heartbeat. */
export const heartbeatOk = heartbeats.labels({ result: 'ok' });

export function countEnded(reason: EndReason, n = 1): void {
	if (n > 0) sessionsEnded.inc({ reason }, n);
}
