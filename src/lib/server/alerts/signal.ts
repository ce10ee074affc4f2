/**
 * Signals of the alerts and monitors between instances (one LISTEN channel): new notifications
 * to deliver, monitor flips to alert on, and a monitor's new deadline (every ping), which the
 * monitor watchers arm and the admin pages show live. Inside a transaction a notification is
 * delivered at commit, never for a rollback.
 */
import type { Sql, TransactionSql } from 'postgres';
import type { MonitorStoredStatus } from '../../names';

export const ALERTS_CHANNEL = 'cronkit_alerts';

export type AlertSignal =
	/** Notifications are due: senders, claim them. */
	| { t: 'deliver' }
	/** A monitor changed: its status and deadline (ms) now; `status: null` when it was deleted. */
	| { t: 'monitor'; key: string; status: MonitorStoredStatus | null; downAt: number | null; flip?: boolean };

export async function signal(sql: Sql | TransactionSql, s: AlertSignal): Promise<void> {
	await sql`select pg_notify(${ALERTS_CHANNEL}, ${JSON.stringify(s)})`;
}

export function notifyMonitor(sql: Sql | TransactionSql, m: { key: string; status: MonitorStoredStatus | null; downAt: Date | null; flip?: boolean }): Promise<void> {
	return signal(sql, { t: 'monitor', key: m.key, status: m.status, downAt: m.downAt ? m.downAt.getTime() : null, ...(m.flip ? { flip: true } : {}) });
}

/** The SQL expression of a monitor signal for the row `r` (key, status, down_at, flip) of a statement. */
export const monitorSignalSql = (r: string, flip: string) =>
	`pg_notify('${ALERTS_CHANNEL}', json_build_object('t', 'monitor', 'key', ${r}.key, 'status', ${r}.status,
		'downAt', (extract(epoch from ${r}.down_at) * 1000)::float8, 'flip', ${flip})::text)`;

export function parseAlertSignal(payload: string): AlertSignal | null {
	try {
		const s = JSON.parse(payload) as AlertSignal;
		if (s && typeof s === 'object' && (s.t === 'deliver' || (s.t === 'monitor' && typeof s.key === 'string'))) return s;
		return null;
	} catch {
		return null;
	}
}
