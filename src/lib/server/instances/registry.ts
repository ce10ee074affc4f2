/**
 * The instance registry: every process (web, worker or both) upserts its row at start and
 * every `heartbeatMs`, with its clock offset from the database. The heartbeat is also this
 * process's reading of the database's clock (one statement: the UPDATE returns
 * `clock_timestamp()`), so the scheduler's resync needs no clock statement of its own. An instance is live while its
 * row was seen within three heartbeats and it has not stopped. `/healthz`, `/metrics` and the
 * admin pages read `live()` to say when queued runs have no worker to take them.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import { systemClock, type Clock, type Timer } from '../cron/clock';
import type { DbTime } from '../cron/db-time';
import pkg from '../../../../package.json';

export const VERSION: string = pkg.version;

/** Roles that run the scheduler (and so take queued runs). */
const WORKER_ROLES = ['all', 'worker'];
const HEARTBEAT_MS = 10_000;
/** Rows of instances not seen for this long are deleted. */
const FORGET_AFTER = '7 days';

export type InstanceRow = {
	id: string;
	role: string;
	version: string;
	host: string;
	pid: number;
	startedAt: Date;
	lastSeenAt: Date;
	clockOffsetMs: number | null;
	live: boolean;
};

export type LiveSummary = {
	/** Live instances that run the scheduler. */
	workers: number;
	/** Queued runs that are due now. */
	due: number;
	/** How long the oldest due queued run has waited (seconds), null when none. */
	oldestDueSeconds: number | null;
};

/** Seen within three heartbeats and not stopped. */
const LIVE = (alias = '') => `${alias}stopped_at is null and ${alias}last_seen_at > now() - interval '${(3 * HEARTBEAT_MS) / 1000} seconds'`;

export class InstanceRegistry {
	private timer: Timer | undefined;
	private beating: Promise<void> | null = null;

	constructor(
		private readonly deps: {
			sql: Sql;
			log: Logger;
			time: DbTime;
			id: string;
			role: string;
			clock?: Clock;
			heartbeatMs?: number;
		}
	) {}

	private get clock(): Clock {
		return this.deps.clock ?? systemClock;
	}

	async start(): Promise<void> {
		const { sql, id, role, time, log } = this.deps;
		await sql`delete from cron_instance where last_seen_at < now() - ${FORGET_AFTER}::interval and id <> ${id}`;
		// The row starts with a measured offset; each heartbeat then stores the previous one.
		if (!time.measured) await time.measureAndReport(sql, log).catch((err: unknown) => log.warn({ err }, "could not read the database's clock"));
		await sql`
			insert into cron_instance (id, role, version, host, pid, started_at, last_seen_at, clock_offset_ms)
			values (${id}, ${role}, ${VERSION}, ${hostname()}, ${process.pid}, now(), now(), ${time.measured ? Math.round(time.localOffsetMs) : null})
			on conflict (id) do update set role = excluded.role, version = excluded.version, host = excluded.host,
				pid = excluded.pid, started_at = now(), last_seen_at = now(), stopped_at = null, clock_offset_ms = excluded.clock_offset_ms`;
		await this.beat();
		this.timer = this.clock.setInterval(() => void this.beat(), this.deps.heartbeatMs ?? HEARTBEAT_MS);
		this.timer.unref?.();
	}

	/** Measures the clock offset and refreshes the row; failures are logged, never thrown. */
	beat(): Promise<void> {
		this.beating ??= (async () => {
			const { sql, log, time, id } = this.deps;
			try {
				// One statement: the row is refreshed and the database's clock read in its answer
				// (the offset stored is the previous sample's: at most one heartbeat old).
				await time.measureAndReport(sql, log, async (tx) => {
					const [row] = await tx<{ t: number }[]>`
						update cron_instance set last_seen_at = now(), clock_offset_ms = ${time.measured ? Math.round(time.localOffsetMs) : null}, stopped_at = null
						where id = ${id}
						returning (extract(epoch from clock_timestamp()) * 1000)::float8 as t`;
					return Number(row!.t);
				});
			} catch (err) {
				log.warn({ err }, 'instance heartbeat failed');
			}
		})().finally(() => (this.beating = null));
		return this.beating;
	}

	async stop(): Promise<void> {
		this.clock.clearInterval(this.timer);
		await this.deps.sql`update cron_instance set stopped_at = now() where id = ${this.deps.id}`.catch(() => undefined);
	}
}

/** Every registered instance, live ones first. */
export async function listInstances(sql: Sql): Promise<InstanceRow[]> {
	return sql.unsafe<InstanceRow[]>(
		`select id, role, version, host, pid, started_at as "startedAt", last_seen_at as "lastSeenAt",
			clock_offset_ms as "clockOffsetMs", (${LIVE()}) as live
		from cron_instance order by (${LIVE()}) desc, last_seen_at desc`
	);
}

/** Live workers and due queued runs, in one statement. */
export async function liveSummary(sql: Sql): Promise<LiveSummary> {
	const [row] = await sql.unsafe<LiveSummary[]>(
		`select (select count(*)::int from cron_instance where ${LIVE()} and role = any($1::text[])) as workers,
			count(*)::int as due,
			(extract(epoch from now() - min(run_at)))::float8 as "oldestDueSeconds"
		from cron_job_execution where status = 'queued' and run_at <= now()`,
		[WORKER_ROLES]
	);
	return row!;
}
