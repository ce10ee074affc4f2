import type { Queryable } from '../db';

/** One LISTEN channel carries every cross-instance signal of the scheduler. */
export const CHANNEL = 'cronkit';

export type Signal =
	| { t: 'job'; key: string }
	| { t: 'settings' }
	| { t: 'queue' }
	| { t: 'cancel'; ids: number[] }
	/** A listener's proof that its subscription still hears (see listener.ts). */
	| { t: 'ping'; id: string };

/** Inside a transaction the notification is delivered at commit, never for a rollback. */
export async function notify(sql: Queryable, signal: Signal): Promise<void> {
	await sql`select pg_notify(${CHANNEL}, ${JSON.stringify(signal)})`;
}

export function parseSignal(payload: string): Signal | null {
	try {
		const s = JSON.parse(payload) as Signal;
		return typeof s === 'object' && s && typeof s.t === 'string' ? s : null;
	} catch {
		return null;
	}
}
