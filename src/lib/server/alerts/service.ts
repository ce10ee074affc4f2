/**
 * The alerts of one instance (docs/architecture.md, "Alerts and monitors"): the evaluator
 * (evaluator.ts), the senders (delivery.ts) and the monitor watch (monitors/watch.ts), woken by
 * what happens anywhere: runs settling (the ledger's notifications), job and settings changes,
 * monitor signals and new notifications (signal.ts), and by their own timers for deadlines and
 * retries. Each also runs every `pollMs` as a safety net for a lost notification. Started by
 * the runtime where the scheduler runs; a web-only instance uses it only for **Send test**.
 * While the database is away each part backs off on its own and logs one warning (outage.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import { systemClock, type Clock, type Timer } from '../cron/clock';
import { DbTime } from '../cron/db-time';
import { CHANNEL, parseSignal } from '../cron/notify';
import { RUNS_CHANNEL } from '../cron/run-events';
import type { EgressPolicy } from '../egress/policy';
import type { Mailer } from '../email/transport';
import { notFound } from '../errors';
import type { SecretBox } from '../secrets/box';
import { MonitorWatch } from '../monitors/watch';
import { Deliveries, DEFAULT_DELIVERY_TIMING, type DeliveryTiming } from './delivery';
import { AlertEvaluator } from './evaluator';
import { testEvent } from './messages';
import { getNotification, type NotificationView } from './notifications';
import { Outage } from './outage';
import { ALERTS_CHANNEL, parseAlertSignal, signal } from './signal';

const MAX_WAIT_MS = 60_000;

export type AlertTiming = DeliveryTiming & {
	/** The rate limit: one notification per job (or monitor) and channel per window. */
	windowMs: number;
	/**
	 * Safety net: the evaluator and the senders look anyway this often (a notification lost with
	 * the LISTEN subscription; every deadline has a timer of its own). Each look is a pass of
	 * about a dozen statements, so an idle worker's cost follows this period
	 * (docs/architecture.md, "Idle cost").
	 */
	pollMs: number;
	/** Safety net: the monitor deadlines are reloaded this often. */
	resyncMs: number;
	/** Runs settling in a burst are judged together: a pass waits this long after a wake. */
	coalesceMs: number;
};

export const DEFAULT_ALERT_TIMING: AlertTiming = {
	...DEFAULT_DELIVERY_TIMING,
	windowMs: 60_000,
	pollMs: 30_000,
	resyncMs: 30_000,
	coalesceMs: 20
};

export type AlertServiceOptions = {
	sql: Sql;
	log: Logger;
	/** ORIGIN: the links in alerts. */
	origin: string;
	/** CRON_TIMEZONE */
	defaultTimezone: string;
	secrets: SecretBox;
	egress: EgressPolicy;
	mailer?: Mailer;
	clock?: Clock;
	/** The database's clock as estimated here (shared with the scheduler, which measures it). */
	time?: DbTime;
	timing?: Partial<AlertTiming>;
};

export class AlertService {
	readonly timing: AlertTiming;
	readonly deliveries: Deliveries;
	readonly evaluator: AlertEvaluator;
	readonly watch: MonitorWatch;
	private readonly clock: Clock;
	private readonly time: DbTime;
	private running = false;
	private passing: Promise<void> | null = null;
	private passAgain = false;
	private passTimer: Timer | undefined;
	private passTimerAt = Infinity;
	private intervals: Timer[] = [];
	/** Failed passes (the database away): the next pass waits for the backoff. */
	private readonly outage: Outage;
	private unlisten: (() => Promise<unknown>)[] = [];

	constructor(private readonly opts: AlertServiceOptions) {
		this.timing = { ...DEFAULT_ALERT_TIMING, ...opts.timing };
		this.clock = opts.clock ?? systemClock;
		this.time = opts.time ?? new DbTime(this.clock);
		const log = opts.log;
		this.outage = new Outage({ log, clock: this.clock, what: 'alert evaluation' });
		this.deliveries = new Deliveries({ sql: opts.sql, log, clock: this.clock, secrets: opts.secrets, egress: opts.egress, mailer: opts.mailer, timing: this.timing });
		this.evaluator = new AlertEvaluator({ sql: opts.sql, log, origin: opts.origin, defaultTimezone: opts.defaultTimezone, windowMs: this.timing.windowMs });
		this.watch = new MonitorWatch({ sql: opts.sql, log, clock: this.clock, time: this.time, onFlips: () => this.wake(0), resyncMs: this.timing.resyncMs });
	}

	get started(): boolean {
		return this.running;
	}

	async start(): Promise<void> {
		if (this.running) return;
		const { sql, log } = this.opts;
		if (!this.time.measured) await this.time.measure(sql);
		this.running = true;
		const listen = async (channel: string, fn: (payload: string) => void) => {
			// After a lost connection postgres.js subscribes again; what was missed is looked at then.
			const h = await sql.listen(channel, fn, () => this.running && this.resync());
			this.unlisten.push(() => h.unlisten());
		};
		await listen(ALERTS_CHANNEL, (payload) => {
			const s = parseAlertSignal(payload);
			if (!s) return;
			if (s.t === 'deliver') this.deliveries.wake();
			else {
				this.watch.onSignal(s);
				if (s.flip) this.wake(0);
			}
		});
		await listen(RUNS_CHANNEL, () => this.wake());
		await listen(CHANNEL, (payload) => {
			const s = parseSignal(payload);
			if (s?.t === 'job' || s?.t === 'settings') this.wake();
		});
		await this.watch.start();
		this.deliveries.start();
		this.intervals.push(
			this.clock.setInterval(() => {
				this.wake(0);
				this.deliveries.wake();
			}, this.timing.pollMs)
		);
		this.wake(0);
		log.info({ monitors: this.watch.size }, 'alerts started');
	}

	async stop(): Promise<void> {
		const wasRunning = this.running;
		this.running = false;
		for (const i of this.intervals) this.clock.clearInterval(i);
		this.intervals = [];
		this.clock.clearTimeout(this.passTimer);
		await Promise.all(this.unlisten.map((u) => u().catch(() => undefined)));
		this.unlisten = [];
		if (wasRunning) await this.watch.stop();
		await this.passing;
		await this.deliveries.stop();
	}

	private resync(): void {
		void this.watch.resync();
		this.wake(0);
		this.deliveries.wake();
	}

	/** Runs an evaluator pass in `ms` (sooner if one is already due sooner). */
	wake(wait = this.timing.coalesceMs): void {
		if (!this.running) return;
		// Far deadlines are looked at again anyway (pollMs); the cap keeps within setTimeout's range.
		// While the database does not answer, no pass comes before the backoff allows.
		const ms = Math.max(Math.min(wait, MAX_WAIT_MS), this.outage.waitMs());
		const at = this.clock.monotonic() + ms;
		if (this.passTimer && at >= this.passTimerAt) return;
		this.clock.clearTimeout(this.passTimer);
		this.passTimerAt = at;
		this.passTimer = this.clock.setTimeout(() => {
			this.passTimer = undefined;
			this.passTimerAt = Infinity;
			this.runPass();
		}, ms);
	}

	private runPass(): void {
		if (this.passing) {
			this.passAgain = true;
			return;
		}
		this.passing = this.pass().finally(() => {
			this.passing = null;
			if (this.passAgain && this.running) {
				this.passAgain = false;
				this.runPass();
			}
		});
	}

	private async pass(): Promise<void> {
		const { sql } = this.opts;
		try {
			const r = await this.evaluator.pass();
			this.outage.succeeded();
			if (r.due) {
				this.deliveries.wake();
				await signal(sql, { t: 'deliver' });
			}
			if (r.busy) this.wake(50);
			else if (r.nextAt !== null) this.wake(Math.max(0, r.nextAt - this.time.now()));
		} catch (err) {
			this.wake(this.outage.failed(err));
		}
	}

	/** **Send test**: a `test` event to one channel, sent now; the answer says how it went. */
	async sendTest(channelId: string): Promise<NotificationView> {
		const { sql, origin } = this.opts;
		const [channel] = await sql<{ name: string }[]>`select name from notification_channel where id = ${channelId}`;
		if (!channel) throw notFound(`channel "${channelId}"`);
		const { id } = await this.deliveries.sendOnce(channelId, testEvent(origin, channel.name, new Date()), `test:${randomUUID()}`);
		return getNotification(sql, id);
	}
}
