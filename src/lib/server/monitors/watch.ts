/**
 * Turns monitors down when their deadline passes, by this instance's own timers (no polling):
 * every up monitor's `down_at` is in a Deadlines heap, kept current by the signal each ping,
 * edit and flip sends (alerts/signal.ts), and reloaded whole at start and every `resyncMs` as a
 * safety net for a lost signal. When deadlines fall due, one statement marks the monitors that
 * really are past theirs (the database's `now()` decides, and the row lock makes the check and
 * the change one step, so of several instances exactly one flips each monitor) and records the
 * flips; the evaluator then raises `monitor_down`. While the database is away, due monitors are
 * tried again with backoff (0.5 s, 1 s … at most 5 s) and one warning is logged (alerts/outage.ts).
 */
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import type { Clock, Timer } from '../cron/clock';
import type { DbTime } from '../cron/db-time';
import { Outage } from '../alerts/outage';
import { monitorSignalSql, type AlertSignal } from '../alerts/signal';
import { Deadlines } from './deadlines';

/** A deadline the database does not see passed yet (its clock is a little behind ours) is looked at again this much later. */
const RECHECK_MS = 25;

export type WatchDeps = {
	sql: Sql;
	log: Logger;
	clock: Clock;
	time: Pick<DbTime, 'now'>;
	/** Flips were recorded: the evaluator should run. */
	onFlips: () => void;
	resyncMs: number;
};

export class MonitorWatch {
	private readonly deadlines: Deadlines;
	private interval: Timer | undefined;
	private pending = new Set<string>();
	private busy: Promise<void> | null = null;
	private running = false;
	/** Marking down and reloading while the database is away. */
	private readonly outage: Outage;

	constructor(private readonly deps: WatchDeps) {
		this.deadlines = new Deadlines({ clock: deps.clock, time: deps.time, onDue: (keys) => this.due(keys) });
		this.outage = new Outage({ log: deps.log, clock: deps.clock, what: 'the monitor watch', minMs: 500, maxMs: 5_000 });
	}

	get size(): number {
		return this.deadlines.size;
	}

	get nextAt(): number | null {
		return this.deadlines.nextAt;
	}

	async start(): Promise<void> {
		this.running = true;
		await this.reload();
		this.deadlines.start();
		this.interval = this.deps.clock.setInterval(() => void this.resync(), this.deps.resyncMs);
	}

	async stop(): Promise<void> {
		this.running = false;
		this.deps.clock.clearInterval(this.interval);
		this.deadlines.stop();
		await this.busy;
	}

	/** Every up monitor's deadline, from the database. */
	async reload(): Promise<void> {
		const since = this.deadlines.generation;
		const rows = await this.deps.sql<{ key: string; downAt: number }[]>`
			select key, (extract(epoch from down_at) * 1000)::float8 as "downAt" from monitor where status = 'up' and down_at is not null`;
		this.deadlines.reset(
			rows.map((r) => [r.key, r.downAt]),
			since
		);
	}

	/** The safety net's reload; a failure counts toward the outage (one warning). */
	async resync(): Promise<void> {
		try {
			await this.reload();
			this.outage.succeeded();
		} catch (err) {
			this.outage.failed(err);
		}
	}

	/** A monitor signal from any instance: its deadline now. */
	onSignal(s: Extract<AlertSignal, { t: 'monitor' }>): void {
		this.deadlines.set(s.key, s.status === 'up' ? s.downAt : null);
	}

	private due(keys: string[]): void {
		for (const k of keys) this.pending.add(k);
		if (this.busy) return;
		const batch = [...this.pending];
		this.pending.clear();
		this.busy = this.markDown(batch)
			.then(() => this.outage.succeeded())
			.catch((err: unknown) => {
				// Nothing was marked: the batch is due again after the backoff.
				const at = this.deps.time.now() + this.outage.failed(err);
				for (const k of batch) this.deadlines.set(k, at);
			})
			.finally(() => {
				this.busy = null;
				if (this.pending.size && this.running) this.due([]);
			});
	}

	private async markDown(keys: string[]): Promise<void> {
		const { sql, time } = this.deps;
		const rows = await sql.unsafe<{ key: string; status: string; downAt: number | null; flipped: boolean }[]>(
			`with due as (
				select key from monitor where key = any($1::text[]) and status = 'up' and down_at <= now()
				order by key for no key update
			), upd as (
				update monitor m set status = 'down', status_changed_at = now(), down_at = null
				from due where m.key = due.key
				returning m.key, m.status, m.down_at,
					case when m.last_ping_kind = 'start' then 'a start ping was not followed by a success within the grace time'
						else 'no ping within its period and grace time' end as reason
			), flip as (
				insert into monitor_flip (monitor_key, from_status, to_status, reason)
				select key, 'up', 'down', reason from upd
			), note as (
				select ${monitorSignalSql('upd', 'true')} from upd
			)
			select key, status, null::float8 as "downAt", true as flipped from upd where (select count(*) from note) >= 0
			union all
			select key, status, (extract(epoch from down_at) * 1000)::float8, false from monitor
			where key = any($1::text[]) and key not in (select key from upd)`,
			[keys] as never
		);
		let flipped = 0;
		for (const r of rows) {
			if (r.flipped) {
				flipped++;
				continue;
			}
			// Pinged meanwhile (a later deadline), gone, or not due yet by the database's clock.
			const at = r.status === 'up' && r.downAt !== null ? Math.max(r.downAt, time.now() + RECHECK_MS) : null;
			this.deadlines.set(r.key, at);
		}
		if (flipped) this.deps.onFlips();
	}
}
