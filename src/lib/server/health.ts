import { CLOCK_OFFSET_WARN_MS } from './cron/db-time';
import { liveSummary, VERSION, type LiveSummary } from './instances/registry';
import type { Services } from './runtime';

export type HealthReport = {
	status: 'ok' | 'degraded';
	db: 'up' | 'down';
	role: string;
	instanceId: string;
	version: string;
	uptimeSeconds: number;
	/** This instance's clock minus the database's (ms), as last measured; null before the first measurement. */
	clockOffsetMs: number | null;
	/** Live instances that run the scheduler (they take queued runs). */
	workers: { live: number | null };
	/** Queued runs due now, and how long the oldest has waited. */
	queue: { due: number | null; oldestDueSeconds: number | null };
	/** Why the status is degraded, in words. */
	warnings: string[];
	scheduler: Record<string, unknown>;
};

/** Nothing here may hang: a frozen database must still get an answer (and a 503). */
const HEALTH_QUERY_MS = 2_000;

function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	return Promise.race([p.catch(() => undefined), new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * 200 with db "up" (status "degraded", with warnings, when this instance's clock is off by more
 * than a second or due queued runs have no live worker); 503 while the database is unreachable.
 */
export async function health(rt: Pick<Services, 'database' | 'sql' | 'time' | 'config' | 'startedAt' | 'scheduler'>): Promise<HealthReport> {
	const up = await rt.database.ping();
	const live: LiveSummary | undefined = up ? await within(liveSummary(rt.sql), HEALTH_QUERY_MS) : undefined;
	const offset = rt.time.measured ? Math.round(rt.time.localOffsetMs) : null;
	const warnings: string[] = [];
	if (!up) warnings.push('the database does not answer');
	if (offset !== null && Math.abs(offset) > CLOCK_OFFSET_WARN_MS) {
		warnings.push(`this instance's clock is ${offset} ms off the database's (ticks follow the database's clock; check NTP)`);
	}
	if (live && live.due > 0 && live.workers === 0) {
		warnings.push(`${live.due} queued run(s) are due and no live worker takes them (start an instance with CRON_ROLE=all or worker, or call POST /api/cron/run)`);
	}
	return {
		status: warnings.length ? 'degraded' : 'ok',
		db: up ? 'up' : 'down',
		role: rt.config.cronRole,
		instanceId: rt.config.instanceId,
		version: VERSION,
		uptimeSeconds: Math.round((Date.now() - rt.startedAt.getTime()) / 1000),
		clockOffsetMs: offset,
		workers: { live: live?.workers ?? null },
		queue: { due: live?.due ?? null, oldestDueSeconds: live?.oldestDueSeconds === null || !live ? null : Math.round(live.oldestDueSeconds) },
		warnings,
		scheduler: rt.scheduler.status()
	};
}
