/**
 * The database's clock, estimated locally: PostgreSQL is the arbiter of when a tick is due
 * (instances' clocks may disagree), so the scheduler arms its timers and starts its handlers by
 * `now()` here, the local clock plus the measured offset. The offset is measured with
 * `clock_timestamp()` and half the round trip; a sample taken while the wall clock jumped is
 * thrown away (monotonic and wall elapsed times disagree).
 */
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import { clockOffset } from '../metrics';
import type { Clock } from './clock';

/** Past this offset the instance reports itself degraded (/healthz, log, metric). */
export const CLOCK_OFFSET_WARN_MS = 1000;
/** While the offset stays past the limit, the warning is repeated this often. */
const WARN_EVERY_MS = 5 * 60_000;

/** One round trip that reads the database's clock (ms since the epoch) in its answer. */
export type ClockRead = (sql: Sql) => Promise<number>;

const readClock: ClockRead = async (sql) => {
	const [row] = await sql<{ t: number }[]>`select (extract(epoch from clock_timestamp()) * 1000)::float8 as t`;
	return Number(row!.t);
};

export class DbTime {
	/** Database clock minus local clock, in ms. */
	offsetMs = 0;
	/** Half the round trip of the sample the offset came from: its uncertainty. */
	uncertaintyMs = Infinity;
	/** Monotonic time of the last accepted sample (-Infinity before the first). */
	measuredAt = -Infinity;

	private warnedAt = -Infinity;

	constructor(readonly clock: Clock) {}

	/** Local clock minus the database's (what an operator compares with their NTP). */
	get localOffsetMs(): number {
		return -this.offsetMs;
	}

	get skewed(): boolean {
		return this.measured && Math.abs(this.offsetMs) > CLOCK_OFFSET_WARN_MS;
	}

	/** The database's clock as estimated now, in ms since the epoch. */
	now(): number {
		return this.clock.now() + this.offsetMs;
	}

	/** The earliest the database's clock can read now, given the last sample's uncertainty. */
	earliestNow(): number {
		return this.now() - (this.measured ? this.uncertaintyMs : 0);
	}

	get measured(): boolean {
		return this.measuredAt > -Infinity;
	}

	/**
	 * Takes the database's clock reading `dbMs`, read between the local wall readings
	 * `sentAt` and `receivedAt` (monotonic `sentMono`/`receivedMono`). Returns false for a
	 * sample spoiled by a wall-clock jump.
	 */
	observe(dbMs: number, sentAt: number, receivedAt: number, sentMono: number, receivedMono: number): boolean {
		const wall = receivedAt - sentAt;
		const mono = receivedMono - sentMono;
		if (Math.abs(wall - mono) > 50 || mono < 0) return false;
		this.offsetMs = dbMs - (sentAt + receivedAt) / 2;
		// Half the round trip, plus the wall clock's 1 ms resolution.
		this.uncertaintyMs = mono / 2 + 1;
		this.measuredAt = receivedMono;
		return true;
	}

	/** Monotonic ms since the last accepted sample (Infinity before the first). */
	get ageMs(): number {
		return this.clock.monotonic() - this.measuredAt;
	}

	/**
	 * One round trip to the database; up to three when the first is slow or spoiled. `read` is
	 * the statement that reads the clock: a heartbeat can carry it (registry.ts), so an idle
	 * process does not send a statement of its own for it.
	 */
	async measure(sql: Sql, read: ClockRead = readClock): Promise<number> {
		for (let i = 0; i < 3; i++) {
			const sentAt = this.clock.now();
			const sentMono = this.clock.monotonic();
			const t = await read(sql);
			const ok = this.observe(t, sentAt, this.clock.now(), sentMono, this.clock.monotonic());
			if (ok && this.uncertaintyMs < 5) break;
		}
		return this.offsetMs;
	}

	/** Measures, publishes the metric, and warns (at most every few minutes) past the limit. */
	async measureAndReport(sql: Sql, log: Logger, read?: ClockRead): Promise<void> {
		await this.measure(sql, read);
		clockOffset.set(this.localOffsetMs / 1000);
		const mono = this.clock.monotonic();
		if (this.skewed && mono - this.warnedAt > WARN_EVERY_MS) {
			this.warnedAt = mono;
			log.warn(
				{ clockOffsetMs: Math.round(this.localOffsetMs) },
				`this instance's clock is ${Math.round(this.localOffsetMs)} ms off the database's; ticks follow the database's clock (check NTP)`
			);
		} else if (!this.skewed) this.warnedAt = -Infinity;
	}
}
