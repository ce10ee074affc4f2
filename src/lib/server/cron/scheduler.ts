/**
 * The scheduler of one instance, composed of focused parts (docs/architecture.md, "Scheduler"):
 *
 * - `ArmedJobs` (armed.ts): the jobs loaded here, schedules compiled, handlers found;
 * - `TickTimers` (timers.ts): one heap and one timer for every job's next instant;
 * - `TickClaims` (ticks.ts): claims due ticks, starts them at their instant, retries failed claims;
 * - `CatchUp` (catch-up.ts): ticks that could not be claimed in time, per the job's policy;
 * - `QueueLoop` (queue.ts): queued runs (manual, API, retry, catch-up);
 * - `Runner` (runner.ts): handlers, timeouts and aborts; `OutcomeWriter` (outcomes.ts): outcomes;
 * - `Leases` (leases.ts): renewal and reaping; `SignalListener` (listener.ts): LISTEN/NOTIFY;
 * - `DeferredWrites` (deferred.ts): writes that must land eventually.
 *
 * All coordination happens in the database (ledger/): this class only wires the parts, boots
 * and stops them, and reloads jobs and settings when they change anywhere.
 */
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import type { Db } from '../db';
import { ARMED_FIELDS, ArmedJobs, armedJob, type Armed, type ArmedJob } from './armed';
import { CatchUp, owedTicks, type OwedTicks } from './catch-up';
import { delay, systemClock, type Clock, type Timer } from './clock';
import { DbTime } from './db-time';
import { DeferredWrites } from './deferred';
import { DEFAULT_TIMING, type Engine, type Timing } from './engine';
import { JobStates } from './job-state';
import { configVersion, findJob, listJobColumns, listJobs, setConfigError, storeNextRuns, syncCodeJobs } from './jobs';
import * as ledger from './ledger';
import type { Outcome } from './ledger';
import { Leases } from './leases';
import { SignalListener } from './listener';
import type { Signal } from './notify';
import { OutcomeWriter } from './outcomes';
import { QueueLoop } from './queue';
import { Runner, interruptedOutcome, type Active, type Isolation } from './runner';
import { nextRun } from './schedule';
import { defaultSettings, loadSettings, type Settings } from './settings';
import { TickClaims } from './ticks';
import { TickTimers } from './timers';
import type { CronJob } from '../db/schema';
import type { RegisteredJob, RegisteredType } from './types';

export type SchedulerOptions = Partial<Timing> & {
	sql: Sql;
	db: Db;
	instanceId: string;
	/** CRON_TIMEZONE: the default zone until settings say otherwise. */
	defaultTimezone: string;
	definitions: RegisteredJob[];
	types: Record<string, RegisteredType>;
	log: Logger;
	/** Environment for `${NAME}` in the schedules of code jobs (without it, `${NAME}` is an error). */
	env?: Record<string, string | undefined>;
	/** Wall time and timers (tests skew or drive it). */
	clock?: Clock;
	/** The database's clock as estimated here (shared with the instance registry). */
	time?: DbTime;
	/** How isolated code jobs start their child process (unset: they cannot run here). */
	isolation?: Isolation;
};

/**
 * Output printed by a running run reaches the ledger within this many ms (batched: one
 * statement for every run that printed meanwhile). A one-off timer, set only when a run prints.
 */
const LIVE_OUTPUT_MS = 250;
/** Job rows read per statement at boot (`start`). */
const BOOT_SLICE = 1_000;
/** What boot reads of a job: what the scheduler keeps (ARMED_FIELDS) and the stored next run. */
const BOOT_COLUMNS = [...ARMED_FIELDS, 'nextRunAt'] as const;
type BootRow = Pick<CronJob, (typeof BOOT_COLUMNS)[number]>;
/**
 * Next runs written per statement (`flushNextRuns`). After a long outage boot rewrites most
 * rows: one statement of 100,000 rows held the database's CPU for seconds while the list's
 * requests waited; slices of this size, one after another, leave room between them.
 */
export const NEXT_RUN_SLICE = 1_000;

export type RunSummary = { id: number; jobKey: string; status: string };

/** What POST /api/cron/run answers: what ran, what is still going, what it left queued. */
export type RunDueResult = { ran: RunSummary[]; running: { id: number; jobKey: string }[]; left: number };

async function settlesWithin(clock: Clock, p: Promise<unknown> | null, ms: number): Promise<boolean> {
	if (!p) return true;
	let timer: Timer | undefined;
	const done = await Promise.race([p.then(() => true), new Promise<boolean>((r) => (timer = clock.setTimeout(() => r(false), ms)))]);
	clock.clearTimeout(timer);
	return done;
}

export class Scheduler {
	readonly engine: Engine;
	private readonly jobs: ArmedJobs;
	private readonly timers: TickTimers;
	private readonly claims: TickClaims;
	private readonly catchUp: CatchUp;
	private readonly queue: QueueLoop;
	private readonly runner: Runner;
	private readonly outcomes: OutcomeWriter;
	private readonly jobStates: JobStates;
	private readonly leases: Leases;
	private readonly listener: SignalListener;
	private readonly deferred: DeferredWrites;
	private settings: Settings;
	private intervals: Timer[] = [];
	/** Set while printed output waits for its write (writeLiveOutput). */
	private outputTimer: Timer | undefined;
	private running = false;
	private passive = false;
	/** Jobs whose next run the list page should be told (written together, retried). */
	private nextRunsDirty = new Set<string>();
	/** `configVersion` when the last resync read every job (null: read them next time). */
	private syncedVersion: string | null = null;

	constructor(private readonly opts: SchedulerOptions) {
		const clock = opts.clock ?? systemClock;
		const timing: Timing = { ...DEFAULT_TIMING };
		for (const k of Object.keys(DEFAULT_TIMING) as (keyof Timing)[]) if (opts[k] !== undefined) timing[k] = opts[k];
		const engine: Engine = {
			sql: opts.sql,
			db: opts.db,
			log: opts.log,
			clock,
			time: opts.time ?? new DbTime(clock),
			instanceId: opts.instanceId,
			timing
		};
		this.engine = engine;
		this.settings = defaultSettings(opts.defaultTimezone);
		this.deferred = new DeferredWrites(engine);
		const defer = (name: string, write: () => Promise<unknown>) => void this.deferred.run(name, write);
		this.jobs = new ArmedJobs({
			definitions: new Map(opts.definitions.map((d) => [d.key, d])),
			types: opts.types,
			env: opts.env,
			defaultZone: () => this.settings['scheduler.defaultTimezone'],
			onConfigError: (key, error) => defer(`config-error:${key}`, () => setConfigError(engine.sql, key, error))
		});
		this.jobStates = new JobStates(engine);
		this.outcomes = new OutcomeWriter(engine, {
			onRetriesQueued: () => this.wakeQueue(),
			jobStates: this.jobStates,
			queue: { reserve: (freed) => this.queue.reserve(freed), refilled: (limit, claim) => this.queue.refilled(limit, claim) }
		});
		this.runner = new Runner(engine, this.jobs, this.outcomes, {
			loadJob: (key) => this.loadArmed(key),
			onQueuedDone: () => this.wakeQueue(),
			onOutput: () => this.outputPrinted(),
			isRunning: () => this.running || this.passive,
			defer,
			isolation: opts.isolation
		});
		this.queue = new QueueLoop(engine, this.runner);
		this.catchUp = new CatchUp(engine, this.jobs, { paused: () => this.settings['scheduler.paused'], onQueued: () => this.wakeQueue() });
		this.claims = new TickClaims(engine, this.jobs, this.runner, this.catchUp, {
			paused: () => this.settings['scheduler.paused'],
			defer,
			touched: (keys) => void this.touchNextRuns(keys),
			clockSuspect: () => void this.measureClock().then(() => this.timers.rearm())
		});
		this.timers = new TickTimers({
			clock,
			time: engine.time,
			jobs: this.jobs,
			leadMs: () => this.claims.leadMs,
			onWake: (jumped) => void this.wake(jumped).catch((err: unknown) => engine.log.error({ err }, 'tick failed'))
		});
		this.leases = new Leases(engine, this.runner, { onReaped: () => this.wakeQueue() });
		this.listener = new SignalListener(engine, {
			onSignal: (s) => void this.onSignal(s).catch((err: unknown) => engine.log.error({ err }, 'signal handling failed')),
			// Notifications may have been lost: queued runs and job changes are looked for at once.
			onReconnect: () => {
				this.wakeQueue();
				void this.resync();
			}
		});
	}

	get instanceId(): string {
		return this.engine.instanceId;
	}

	/** Boot: sync code, reap expired leases, listen, arm every job, catch up, start the loops. */
	async start(): Promise<void> {
		if (this.running) return;
		const { sql, log, clock, time, timing } = this.engine;
		await syncCodeJobs(sql, this.opts.definitions);
		await this.leases.reap();
		// Read before the settings and the rows: the first resync then reads only the digest,
		// and a change committed meanwhile shows in the next one (as in `resync`).
		const version = await configVersion(sql);
		this.settings = await loadSettings(sql, this.opts.defaultTimezone);
		await time.measureAndReport(sql, log);
		await this.listener.start();
		this.claims.start();
		this.deferred.start();
		this.running = true;
		// Each job is loaded, checked for owed ticks and armed in one go, while its compiled
		// schedule is still in the schedule cache (a compile is the costliest step at 100,000 jobs),
		// a slice of BOOT_SLICE rows at a time: what a slice allocates is garbage before the next
		// is read, so the heap does not grow to hold every row twice at once.
		const bootNow = time.now();
		const owed = new Map<string, OwedTicks>();
		const stale: string[] = [];
		for (let after: string | null = null; ; ) {
			const rows: BootRow[] = await listJobColumns(this.engine.db, BOOT_COLUMNS, { after, limit: BOOT_SLICE });
			if (!rows.length) break;
			after = rows[rows.length - 1]!.key;
			const since = await ledger.owedSince(sql, rows.map((j) => j.key));
			for (const job of rows) {
				// Compiled from `from`: the first run after it, worked out once, tells whether a
				// tick is owed and is usually the next run too (one zone walk per job).
				const from = since.get(job.key);
				const a = this.jobs.load(job, from);
				const o = from !== undefined && this.jobs.schedulable(a) ? owedTicks(a.schedule, from, bootNow) : null;
				if (o?.owed.length) owed.set(job.key, o);
				this.timers.arm(a, bootNow);
				if ((a.nextAt ?? null) !== (job.nextRunAt?.getTime() ?? null)) stale.push(job.key);
			}
			if (rows.length < BOOT_SLICE) break;
		}
		this.syncedVersion = version;
		// A tick that fell due while booting (within the late tolerance) runs as a scheduled tick.
		const recent = await this.catchUp.afterDowntime(bootNow, { claimWithinMs: timing.lateToleranceMs, owed });
		this.timers.start();
		const due = recent.flatMap((t) => {
			const armed = this.jobs.get(t.jobKey);
			return armed ? [{ armed, at: t.scheduledFor.getTime() }] : [];
		});
		if (due.length) void this.claims.take(due, bootNow).catch((err: unknown) => log.error({ err }, 'tick failed'));
		// New code jobs and next runs gone stale while no instance ran: the list shows them (and
		// works out a stale one itself meanwhile: job-view.ts). Not awaited: after a long outage
		// it rewrites most rows (seconds at 100,000 jobs), and a failed write is retried.
		void this.touchNextRuns(stale);
		this.intervals.push(
			clock.setInterval(() => void this.leases.renew(), this.leases.periodMs),
			clock.setInterval(() => void this.leases.reap(), this.leases.periodMs),
			clock.setInterval(() => void this.resync(), timing.resyncMs)
		);
		this.queue.start();
		log.info({ instance: this.instanceId, jobs: this.jobs.size, clockOffsetMs: Math.round(time.localOffsetMs) }, 'scheduler started');
	}

	/**
	 * Shutdown: stop claiming, give running handlers `graceMs` to finish, then mark the rest
	 * `interrupted` (retry policy applies) and release their slots.
	 */
	async stop(graceMs = 30_000): Promise<void> {
		if (!this.running) return;
		const { clock, log, instanceId } = this.engine;
		this.running = false;
		this.timers.stop();
		this.claims.stop();
		// A claim under way finishes: its runs start or are handed back as interrupted.
		await this.claims.settled(5_000);
		await settlesWithin(clock, this.listener.stop(), 2_000);
		await this.queue.stop(5_000);
		const pending = [...this.runner.active.values()];
		if (pending.length) {
			log.info({ running: pending.length, graceMs }, 'waiting for running handlers');
			await settlesWithin(clock, Promise.all(pending.map((a) => a.done)), graceMs);
		}
		const left = [...this.runner.active.values()];
		// Recorded interrupted first (the ledger keeps the first outcome), then stopped for good:
		// no process of theirs may outlive this instance.
		const recorded = left.length ? this.interrupt(left, `instance ${instanceId} shut down before the run finished`) : null;
		if (left.length) await this.runner.abortAndWait(left, 'instance shutting down');
		// With the database gone the outcomes cannot be written; expired leases will settle them.
		await settlesWithin(clock, recorded, 5_000);
		await this.outcomes.drain(5_000);
		await settlesWithin(clock, this.jobStates.flush(), 2_000);
		this.jobStates.stop();
		await settlesWithin(clock, this.deferred.retry(), 2_000);
		this.deferred.stop();
		for (const i of this.intervals) clock.clearInterval(i);
		this.intervals = [];
		clock.clearTimeout(this.outputTimer);
		this.outputTimer = undefined;
		log.info({ instance: instanceId, interrupted: left.length }, 'scheduler stopped');
	}

	private interrupt(runs: Active[], why: string): Promise<void> {
		const { instanceId } = this.engine;
		return this.outcomes.complete(
			runs.map((a) => interruptedOutcome(a.run.id, why, instanceId)),
			Math.min(...runs.map((a) => a.leaseUntil))
		);
	}

	status() {
		const { time } = this.engine;
		return {
			running: this.running,
			instanceId: this.instanceId,
			paused: this.settings['scheduler.paused'],
			jobs: this.jobs.size,
			armed: [...this.jobs.values()].filter((a) => a.nextAt !== null).length,
			activeRuns: this.runner.active.size,
			nextTickAt: this.timers.nextAt === null ? null : new Date(this.timers.nextAt).toISOString(),
			lastTickAt: this.claims.lastTickAt === null ? null : new Date(this.claims.lastTickAt).toISOString(),
			/** Ticks waiting for the database (failed claims, catch-up to do). */
			ticksWaiting: this.claims.backlog,
			/** Outcomes and other writes waiting for the database. */
			writesWaiting: this.outcomes.size + this.deferred.size,
			clockOffsetMs: time.measured ? Math.round(time.localOffsetMs) : null
		};
	}

	// ---- timers and clock -------------------------------------------------------------

	/** The timer woke: claim every tick due by the claim horizon (database time). */
	private async wake(clockJumped: boolean): Promise<void> {
		if (!this.running) return;
		if (clockJumped) await this.measureClock();
		const { time, timing } = this.engine;
		const now = time.now();
		const due = this.timers.takeDue(now + this.claims.leadMs, now, timing.lateToleranceMs);
		this.timers.rearm();
		if (due.length) await this.claims.take(due, now);
	}

	private async measureClock(): Promise<void> {
		try {
			await this.engine.time.measureAndReport(this.engine.sql, this.engine.log);
		} catch (err) {
			this.engine.log.warn({ err }, "could not read the database's clock");
		}
	}

	private touchNextRuns(keys: string[]): Promise<void> {
		if (!keys.length) return Promise.resolve();
		for (const k of keys) this.nextRunsDirty.add(k);
		return this.deferred.run('next-runs', () => this.flushNextRuns());
	}

	/**
	 * Writes the dirty jobs' next runs as they are now (so a retried write is never stale),
	 * NEXT_RUN_SLICE rows a statement. A slice leaves the dirty set while it is written (so two
	 * flushes at once share the work) and goes back to it if the write fails.
	 */
	private async flushNextRuns(): Promise<void> {
		while (this.nextRunsDirty.size) {
			const keys: string[] = [];
			for (const k of this.nextRunsDirty) {
				keys.push(k);
				if (keys.length === NEXT_RUN_SLICE) break;
			}
			for (const k of keys) this.nextRunsDirty.delete(k);
			try {
				await storeNextRuns(this.engine.sql, new Map(keys.map((k) => [k, this.jobs.get(k)?.nextAt ?? null])));
			} catch (err) {
				for (const k of keys) this.nextRunsDirty.add(k);
				throw err;
			}
		}
	}

	/** A run printed: its output (and any other run's printed meanwhile) is written in LIVE_OUTPUT_MS. */
	private outputPrinted(): void {
		if (this.outputTimer) return;
		this.outputTimer = this.engine.clock.setTimeout(() => {
			this.outputTimer = undefined;
			void this.writeLiveOutput();
		}, LIVE_OUTPUT_MS);
		// Never what keeps a process alive (a run still going does).
		this.outputTimer.unref?.();
	}

	/** Output printed since the last write, of every active run, in one statement (never one a line). */
	private async writeLiveOutput(): Promise<void> {
		if (!this.runner.active.size) return;
		const outputs = this.runner.takeDirtyOutputs();
		if (!outputs.length) return;
		try {
			await ledger.writeOutputs(this.engine.sql, outputs);
		} catch (err) {
			// The next write (or the outcome) carries it all: output is a snapshot, not a delta.
			for (const o of outputs) this.runner.active.get(o.id)?.output.touch();
			this.engine.log.debug({ err }, 'live output not written');
		}
	}

	// ---- cross-instance signals and reloads -------------------------------------------------

	private async onSignal(s: Signal): Promise<void> {
		if (!this.running) return;
		if (s.t === 'queue') this.wakeQueue();
		else if (s.t === 'cancel') this.runner.abort(s.ids, 'cancelled');
		else if (s.t === 'settings') await this.reloadSettings();
		else if (s.t === 'job') await this.reloadJob(s.key);
	}

	private async reloadSettings(): Promise<void> {
		const before = this.settings;
		this.settings = await loadSettings(this.engine.sql, this.opts.defaultTimezone);
		if (before['scheduler.defaultTimezone'] !== this.settings['scheduler.defaultTimezone']) {
			const now = this.engine.time.now();
			for (const a of [...this.jobs.values()]) if (a.job.timezone === null) this.arm(a.job, now);
			void this.touchNextRuns([...this.jobs.keys()]);
		}
	}

	private arm(job: ArmedJob, fromMs: number): Armed {
		const armed = this.jobs.load(job);
		if (this.running) this.timers.arm(armed, fromMs);
		return armed;
	}

	/** A job was edited in this process: reload it now if this scheduler runs (others hear the NOTIFY). */
	async jobEdited(key: string): Promise<void> {
		if (this.running) await this.reloadJob(key);
	}

	/** A job changed somewhere: reload it; re-arm only if when it fires changed. */
	async reloadJob(key: string): Promise<void> {
		const job = await findJob(this.engine.db, key);
		if (!job) {
			this.jobs.delete(key);
			this.timers.rearm();
			return;
		}
		const cur = this.jobs.get(key);
		const timing = (j: ArmedJob) => `${j.enabled}|${j.schedule}|${j.timezone}|${j.configError}|${j.type}`;
		if (cur && timing(cur.job) === timing(job)) {
			cur.job = armedJob(job); // policies apply from the next run on; the armed tick stays
			return;
		}
		this.arm(job, this.engine.time.now());
		void this.touchNextRuns([key]);
	}

	/**
	 * Safety net for lost notifications (and the first thing after LISTEN reconnects): when the
	 * digest of the jobs' `updated_at` and the settings (`configVersion`) differs from the last
	 * full pass, reload jobs whose updated_at changed and the settings; re-read the database's
	 * clock unless a heartbeat read it within a resync period; check that every enabled, valid
	 * job is armed exactly once. An idle worker thus sends one small statement per resync.
	 */
	private async resync(): Promise<void> {
		if (!this.running) return;
		const { sql, log, time, timing } = this.engine;
		try {
			if (time.ageMs >= timing.resyncMs) await time.measureAndReport(sql, log);
			// Read before the rows: a change committed in between shows in the next digest.
			const version = await configVersion(sql);
			if (version !== this.syncedVersion) {
				const rows = await sql<{ key: string; updatedAt: Date }[]>`select key, updated_at as "updatedAt" from cron_job`;
				const seen = new Set<string>();
				for (const r of rows) {
					seen.add(r.key);
					const cur = this.jobs.get(r.key);
					if (!cur || cur.job.updatedAt.getTime() !== r.updatedAt.getTime()) await this.reloadJob(r.key);
				}
				for (const key of [...this.jobs.keys()]) if (!seen.has(key)) this.jobs.delete(key);
				await this.reloadSettings();
				this.syncedVersion = version;
			}
		} catch (err) {
			log.warn({ err }, 'resync failed');
		}
		const repaired = this.timers.selfCheck(time.now());
		if (repaired.length) log.warn({ jobs: repaired }, 'jobs found not armed exactly once were re-armed');
	}

	// ---- the queue ---------------------------------------------------------------------

	/** Claims due queued runs now (a NOTIFY, a trigger in this process, a finished run). */
	wakeQueue(): void {
		this.queue.wake();
	}

	/** The job as the database has it now (a run about to start on a copy older than that). */
	private async loadArmed(key: string): Promise<Armed | undefined> {
		if (this.jobs.get(key)) {
			await this.reloadJob(key);
			return this.jobs.get(key);
		}
		const job = await findJob(this.engine.db, key);
		return job ? this.arm(job, this.engine.time.now()) : undefined;
	}

	// ---- entry points for the service, the CLI and POST /api/cron/run ---------------------

	/**
	 * Runs one job now in this process and waits for it (CLI `run`). The run is a regular
	 * `manual` row, claimed and leased like any other.
	 */
	async runNow(key: string, triggeredBy: string): Promise<{ id: number; status: Outcome['status'] }> {
		if (!this.running) await this.startPassive();
		const { sql, instanceId, timing, time } = this.engine;
		const [queued] = await ledger.enqueue(sql, [{ jobKey: key, trigger: 'manual', triggeredBy, runAt: new Date(time.now() + 3600_000) }]);
		if (!queued) throw new Error(`could not enqueue ${key}`);
		const run = await ledger.claimRun(sql, queued.id, instanceId, timing.leaseMs).catch((err: { code?: string }) => {
			if (err.code === '23505') throw new Error(`${key} is already running (overlap: forbid)`);
			throw err;
		});
		if (!run) throw new Error(`could not claim run ${queued.id}`);
		const status = await this.runner.execute(run, false).done;
		return { id: run.id, status };
	}

	/**
	 * For hosts without a long-running scheduler: claims and runs every tick due now (catch-up
	 * policy for older owed ticks) and every due queued run, for at most `budgetMs`. Runs still
	 * going then keep their leases (renewed here) and finish after the answer.
	 */
	async runDue(budgetMs = 25_000): Promise<RunDueResult> {
		if (!this.running) await this.startPassive();
		const { sql, instanceId, timing, time, clock } = this.engine;
		const deadline = clock.monotonic() + budgetMs;
		const ticks = await this.catchUp.afterDowntime(time.now(), { claimLatest: true });
		const claim = await ledger.claimTicks(sql, ticks, {
			instanceId,
			leaseMs: timing.leaseMs,
			paused: this.settings['scheduler.paused'],
			leadMs: 0,
			lateMs: 365 * 24 * 3600_000
		});
		const started: Active[] = claim.claimed.filter((r) => r.status === 'running').map((r) => this.runner.execute(r, false));
		const ran: RunSummary[] = claim.claimed.filter((r) => r.status === 'skipped').map((r) => ({ id: r.id, jobKey: r.jobKey, status: r.status }));
		if (claim.claimed.length < ticks.length && !this.settings['scheduler.paused']) {
			const taken = new Set(claim.claimed.map((r) => r.jobKey));
			const skipped = await ledger.recordOverlapSkips(
				sql,
				ticks.filter((t) => !taken.has(t.jobKey))
			);
			ran.push(...skipped.map((r) => ({ id: r.id, jobKey: r.jobKey, status: r.status })));
		}
		// Queued runs due now, and those that fall due (retries) while the budget lasts.
		for (;;) {
			const room = timing.concurrency - this.runner.active.size;
			if (room > 0) {
				const { runs } = await ledger.claimQueued(sql, Math.min(room, 200), instanceId, timing.leaseMs);
				started.push(...runs.map((r) => this.runner.execute(r, false)));
			}
			const going = started.filter((a) => this.runner.active.has(a.run.id));
			const remaining = deadline - clock.monotonic();
			if (remaining <= 0 || (!going.length && !(await this.dueWithin(remaining)))) break;
			const next = going.length ? Promise.race(going.map((a) => a.done)) : delay(clock, 250);
			await settlesWithin(clock, next, Math.min(remaining, 250));
		}
		for (const a of started) if (!this.runner.active.has(a.run.id)) ran.push({ id: a.run.id, jobKey: a.run.jobKey, status: await a.done });
		const running = started.filter((a) => this.runner.active.has(a.run.id)).map((a) => ({ id: a.run.id, jobKey: a.run.jobKey }));
		const now = time.now();
		for (const a of this.jobs.values()) if (this.jobs.schedulable(a)) a.nextAt = nextRun(a.schedule, new Date(now))?.getTime() ?? null;
		void this.touchNextRuns([...this.jobs.keys()]);
		const [row] = await sql<{ left: number }[]>`
			select count(*)::int as left from cron_job_execution where status = 'queued' and run_at <= now()`;
		return { ran, running, left: row!.left };
	}

	/** Is a queued run due within `ms`? */
	private async dueWithin(ms: number): Promise<boolean> {
		const next = await ledger.nextQueuedAt(this.engine.sql);
		return next !== null && next.getTime() - this.engine.time.now() <= ms;
	}

	/** Loads jobs and settings without timers (web role, CLI), so handlers can run here. */
	private async startPassive(): Promise<void> {
		if (this.passive) return;
		const { sql, db, clock } = this.engine;
		this.settings = await loadSettings(sql, this.opts.defaultTimezone);
		for (const job of await listJobs(db)) this.jobs.load(job);
		this.timers.clear();
		this.passive = true;
		await this.measureClock();
		const renew = clock.setInterval(() => void this.leases.renew(), this.leases.periodMs);
		renew.unref?.();
		this.intervals.push(renew);
	}

	/** Stops the scheduler, or what `startPassive` started (its runs get the same grace period). */
	async close(graceMs = 30_000): Promise<void> {
		const { clock, instanceId } = this.engine;
		if (this.running) await this.stop(graceMs);
		else if (this.passive) {
			this.passive = false;
			const pending = [...this.runner.active.values()];
			if (pending.length) await settlesWithin(clock, Promise.all(pending.map((a) => a.done)), graceMs);
			const left = [...this.runner.active.values()];
			if (left.length) {
				const recorded = this.interrupt(left, `instance ${instanceId} shut down before the run finished`);
				await this.runner.abortAndWait(left, 'instance shutting down');
				await settlesWithin(clock, recorded, 5_000);
			}
		}
		await this.outcomes.drain(5_000);
		await settlesWithin(clock, this.jobStates.flush(), 2_000);
		this.jobStates.stop();
		this.deferred.stop();
		for (const i of this.intervals) clock.clearInterval(i);
		this.intervals = [];
		clock.clearTimeout(this.outputTimer);
		this.outputTimer = undefined;
	}
}
