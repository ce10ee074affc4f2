/**
 * The scheduler of one instance (SPEC §4, DESIGN-engine.md). It keeps every enabled job in one
 * timer heap, claims due ticks in batches, works the durable queue, runs handlers under leases
 * with timeouts, and hears other instances through LISTEN/NOTIFY. All coordination happens in
 * the database (ledger.ts); this class holds only what one process must: timers and handlers.
 */
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import type { Db } from '../db';
import type { CronJob } from '../db/schema';
import { fireLag, runDuration, runsTotal, ticksTotal } from '../metrics';
import * as ledger from './ledger';
import type { ClaimedRun, Outcome, Tick } from './ledger';
import { CHANNEL, notify, parseSignal, type Signal } from './notify';
import { OutputBuffer } from './output';
import { compileSchedule, nextRun, previousRuns, type CompiledSchedule } from './schedule';
import { loadSettings, type Settings } from './settings';
import { TimerHeap } from './timer-heap';
import { syncCodeJobs } from './jobs';
import type { JobContext, JobHandler, RegisteredJob, RegisteredType } from './types';

export type SchedulerOptions = {
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
	leaseMs?: number;
	/** Safety-net poll of the queue (NOTIFY wakes it sooner). */
	pollMs?: number;
	/** Safety-net reload of every job (NOTIFY reaches instances sooner). */
	resyncMs?: number;
	/** How many queued runs one instance runs at once. */
	concurrency?: number;
	/** A tick this late is a missed tick (downtime, suspended process), handled by catch-up. */
	lateToleranceMs?: number;
};

type Armed = {
	job: CronJob;
	schedule: CompiledSchedule | null;
	handler: JobHandler<Record<string, unknown>> | null;
	error: string | null;
	/** Heap entries of older generations are stale. */
	gen: number;
	nextAt: number | null;
};

type Active = {
	run: ClaimedRun;
	controller: AbortController;
	timedOut: boolean;
	/** Why the signal was aborted by us (cancel, lease lost, shutdown). */
	abortedFor: string | null;
	done: Promise<Outcome['status']>;
	fromQueue: boolean;
};

/**
 * A run ready to start: built right after its claim, before its instant, so that starting a burst
 * of runs at the instant costs little more than the handler calls.
 */
type Prepared = {
	active: Active;
	/** Unset when the job was not armed here yet: loaded when the run starts. */
	armed: Armed | undefined;
	output: OutputBuffer;
	/** The handler's context, or why it cannot be built (invalid params); null: built at the start. */
	context: JobContext | Error | null;
};

/** Marks thrown by our own signal so a handler's rejection is read correctly. */
class RunAborted extends Error {
	override name = 'AbortError';
}

const MAX_TIMER_MS = 60 * 60_000;
const CATCH_UP_CAP = 100;

function interruptedOutcome(id: number, why: string): Outcome {
	return { id, status: 'interrupted', durationMs: null, output: null, result: null, errorMessage: why, errorStack: null, release: true };
}

async function settlesWithin(p: Promise<unknown> | null, ms: number): Promise<boolean> {
	if (!p) return true;
	let timer: NodeJS.Timeout | undefined;
	const done = await Promise.race([p.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
	clearTimeout(timer);
	return done;
}

export type RunSummary = { id: number; jobKey: string; status: string };

export class Scheduler {
	private readonly sql: Sql;
	private readonly db: Db;
	private readonly log: Logger;
	private readonly leaseMs: number;
	private readonly pollMs: number;
	private readonly resyncMs: number;
	private readonly concurrency: number;
	private readonly lateToleranceMs: number;
	private readonly definitions: Map<string, RegisteredJob>;

	private jobs = new Map<string, Armed>();
	private heap = new TimerHeap();
	private timer: NodeJS.Timeout | undefined;
	private timerAt = Infinity;
	private queueTimer: NodeJS.Timeout | undefined;
	private intervals: NodeJS.Timeout[] = [];
	private active = new Map<number, Active>();
	private activeQueued = 0;
	private settings!: Settings;
	private unlisten: (() => Promise<void>) | undefined;
	private running = false;
	private claimingQueue: Promise<void> | null = null;
	private claimAgain = false;
	private gen = 0;
	private pendingOutcomes = new Map<number, { outcome: Outcome; waiters: (() => void)[] }>();
	private flushing: Promise<void> | null = null;
	private lastTickAt: Date | null = null;
	/** Set when stopping gave up on an unreachable database: stop retrying writes. */
	private closed = false;

	constructor(private readonly opts: SchedulerOptions) {
		this.sql = opts.sql;
		this.db = opts.db;
		this.log = opts.log;
		this.leaseMs = opts.leaseMs ?? 30_000;
		this.pollMs = opts.pollMs ?? 2_000;
		this.resyncMs = opts.resyncMs ?? 15_000;
		this.concurrency = opts.concurrency ?? 100;
		this.lateToleranceMs = opts.lateToleranceMs ?? 5_000;
		this.definitions = new Map(opts.definitions.map((d) => [d.key, d]));
	}

	get instanceId(): string {
		return this.opts.instanceId;
	}

	/** Boot (SPEC §4.4): sync code, reap expired leases, catch up, arm timers, listen. */
	async start(): Promise<void> {
		if (this.running) return;
		await syncCodeJobs(this.sql, this.opts.definitions);
		await this.reap();
		this.settings = await loadSettings(this.sql, this.opts.defaultTimezone);
		const listener = await this.sql.listen(CHANNEL, (payload) => {
			const s = parseSignal(payload);
			if (s) void this.onSignal(s).catch((err: unknown) => this.log.error({ err }, 'signal handling failed'));
		});
		this.unlisten = () => listener.unlisten();
		this.running = true;
		for (const job of await this.loadAll()) this.arm(job, Date.now());
		await this.catchUp(new Date(), false);
		this.rearmTimer();
		// New code jobs and next runs gone stale while no instance ran: the list shows them
		// (one statement; rows already right are not written).
		await this.writeNextRuns([...this.jobs.keys()]);
		this.intervals.push(
			setInterval(() => void this.renewLeases(), Math.max(100, Math.floor(this.leaseMs / 3))),
			setInterval(() => void this.reap().then(() => undefined), Math.max(100, Math.floor(this.leaseMs / 3))),
			setInterval(() => void this.resync(), this.resyncMs)
		);
		this.wakeQueue();
		this.log.info({ instance: this.instanceId, jobs: this.jobs.size }, 'scheduler started');
	}

	/**
	 * Shutdown (SPEC §4.4): stop claiming, give running handlers `graceMs` to finish, then mark
	 * the rest `interrupted` (retry policy applies) and release their slots.
	 */
	async stop(graceMs = 30_000): Promise<void> {
		if (!this.running) return;
		this.running = false;
		clearTimeout(this.timer);
		clearTimeout(this.queueTimer);
		await settlesWithin(this.unlisten?.().catch(() => undefined) ?? null, 2_000);
		await settlesWithin(this.claimingQueue, 5_000);
		const pending = [...this.active.values()];
		if (pending.length) {
			this.log.info({ running: pending.length, graceMs }, 'waiting for running handlers');
			let timer: NodeJS.Timeout | undefined;
			const deadline = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
			await Promise.race([Promise.all(pending.map((a) => a.done)), deadline]);
			clearTimeout(timer);
		}
		const left = [...this.active.values()];
		for (const a of left) {
			a.abortedFor = 'instance shutting down';
			a.controller.abort(new RunAborted('instance shutting down'));
		}
		let recorded: Promise<void> | null = null;
		if (left.length) {
			recorded = this.complete(left.map((a) => interruptedOutcome(a.run.id, `instance ${this.instanceId} shut down before the run finished`)));
		}
		// With the database gone the outcomes cannot be written; expired leases will settle them.
		if (!(await settlesWithin(Promise.all([recorded, this.flushing]), 5_000))) this.closed = true;
		for (const i of this.intervals) clearInterval(i);
		this.intervals = [];
		this.log.info({ instance: this.instanceId, interrupted: left.length }, 'scheduler stopped');
	}

	status() {
		return {
			running: this.running,
			instanceId: this.instanceId,
			paused: this.settings?.['scheduler.paused'] ?? false,
			jobs: this.jobs.size,
			armed: [...this.jobs.values()].filter((a) => a.nextAt !== null).length,
			activeRuns: this.active.size,
			nextTickAt: Number.isFinite(this.timerAt) ? new Date(this.timerAt).toISOString() : null,
			lastTickAt: this.lastTickAt?.toISOString() ?? null
		};
	}

	// ---- jobs and timers -------------------------------------------------------------

	private async loadAll(): Promise<CronJob[]> {
		return this.db.query.cronJob.findMany();
	}

	private zoneOf(job: CronJob): string {
		return job.timezone ?? this.settings['scheduler.defaultTimezone'];
	}

	private handlerFor(job: CronJob): JobHandler<Record<string, unknown>> | null {
		if (job.source === 'code') return this.definitions.get(job.key)?.handler ?? null;
		return this.opts.types[job.type]?.handler ?? null;
	}

	/** (Re)computes a job's schedule and puts its next tick on the heap. */
	private arm(job: CronJob, fromMs: number): void {
		const prev = this.jobs.get(job.key);
		const gen = ++this.gen;
		let schedule: CompiledSchedule | null = null;
		let error: string | null = job.configError === 'no handler registered in code' ? job.configError : null;
		const handler = this.handlerFor(job);
		if (!error && !handler) error = job.source === 'code' ? 'no handler registered in code' : `unknown job type "${job.type}"`;
		if (!error) {
			try {
				schedule = compileSchedule(job.schedule, this.zoneOf(job), job.source === 'code' ? this.opts.env : undefined);
			} catch (err) {
				error = (err as Error).message;
			}
		}
		const armed: Armed = { job, schedule, handler, error, gen, nextAt: null };
		if (job.enabled && schedule && !error) {
			const next = nextRun(schedule, new Date(fromMs));
			if (next) {
				armed.nextAt = next.getTime();
				this.heap.push({ at: armed.nextAt, key: job.key, gen });
			}
		}
		this.jobs.set(job.key, armed);
		if ((job.configError ?? null) !== error && error !== 'no handler registered in code') {
			void this.sql`update cron_job set config_error = ${error} where key = ${job.key}`.catch(() => undefined);
		}
		if (prev?.nextAt !== armed.nextAt && this.running) this.rearmTimer();
	}

	private disarm(key: string): void {
		this.jobs.delete(key);
		this.rearmTimer();
	}

	private rearmTimer(): void {
		if (!this.running) return;
		// Drop stale heads so the timer targets a live entry.
		for (let top = this.heap.peek(); top && this.jobs.get(top.key)?.gen !== top.gen; top = this.heap.peek()) this.heap.pop();
		if (this.heap.size > 4 * Math.max(16, this.jobs.size)) this.heap.compact((e) => this.jobs.get(e.key)?.gen === e.gen);
		const top = this.heap.peek();
		const at = top ? top.at : Infinity;
		if (at === this.timerAt && this.timer) return;
		clearTimeout(this.timer);
		this.timerAt = at;
		if (!top) return;
		// Wake a little early: the claim is done before the instant, the dispatch at it.
		const delay = Math.min(Math.max(0, at - this.claimLeadMs - Date.now()), MAX_TIMER_MS);
		this.timer = setTimeout(() => void this.fire().catch((err: unknown) => this.log.error({ err }, 'tick failed')), delay);
	}

	/**
	 * The timer fired: claim every tick due by the claim horizon in one statement, then start
	 * the claimed runs at their instant. Claiming ahead takes the INSERT off the critical path
	 * (1,000 ticks cost ~30 ms to insert); the unique index still decides who runs each tick.
	 */
	private async fire(): Promise<void> {
		this.timer = undefined;
		this.timerAt = Infinity;
		if (!this.running) return;
		const now = Date.now();
		const horizon = now + this.claimLeadMs;
		const due: { armed: Armed; at: number }[] = [];
		for (let top = this.heap.peek(); top && top.at <= horizon; top = this.heap.peek()) {
			this.heap.pop();
			const armed = this.jobs.get(top.key);
			if (armed && armed.gen === top.gen) due.push({ armed, at: top.at });
		}
		if (!due.length) return this.rearmTimer();
		for (const d of due) d.armed.nextAt = null;
		this.rearmTimer();

		const recorded: string[] = [];
		const late = due.filter((d) => now - d.at > this.lateToleranceMs);
		const onTime = due.filter((d) => now - d.at <= this.lateToleranceMs);
		const ticks: Tick[] = onTime.map((d) => ({ jobId: d.armed.job.key, scheduledFor: new Date(d.at), overlap: d.armed.job.overlap }));
		if (ticks.length) {
			const claimStarted = performance.now();
			const claimed = await ledger.claimTicks(this.sql, ticks, this.instanceId, this.leaseMs, this.settings['scheduler.paused']);
			const toRun = claimed.filter((r) => r.status === 'running').map((r) => this.prepare(r, false));
			// Both the claim and the preparation have to fit between the wake-up and the instant.
			this.learnClaimTime(performance.now() - claimStarted);
			this.lastTickAt = new Date(now);
			await this.dispatchAtInstant(toRun);
			recorded.push(...(await this.afterClaim(ticks, claimed)));
		}
		// Ticks far behind (the process was suspended or stalled): catch-up policy, not a burst.
		if (late.length) {
			await this.catchUp(new Date(), false, late.map((d) => d.armed.job.key));
			recorded.push(...late.map((d) => d.armed.job.key));
		}
		// Next fire instants, off the critical path; jobs sharing a schedule share the arithmetic.
		const nowMs = Date.now();
		const memo = new Map<string, number | null>();
		for (const d of due) {
			const armed = this.jobs.get(d.armed.job.key);
			if (!armed || armed.gen !== d.armed.gen || !armed.schedule) continue;
			const from = late.includes(d) ? nowMs : d.at;
			const key = `${armed.schedule.timezone}\u0000${armed.schedule.pattern}\u0000${from}`;
			let next = memo.get(key);
			if (next === undefined) {
				next = nextRun(armed.schedule, new Date(from))?.getTime() ?? null;
				memo.set(key, next);
			}
			armed.nextAt = next;
			if (next !== null) this.heap.push({ at: next, key: armed.job.key, gen: armed.gen });
		}
		this.rearmTimer();
		// The instance that recorded a tick stores the job's next run; the others need not.
		await this.writeNextRuns([...new Set(recorded)]);
	}

	/** Starts claimed runs at their scheduled instant (or at once if it has passed). */
	private async dispatchAtInstant(prepared: Prepared[]): Promise<void> {
		if (!prepared.length) return;
		const at = Math.min(...prepared.map((p) => p.active.run.scheduledFor?.getTime() ?? 0));
		const wait = at - Date.now();
		if (wait > 0) await new Promise((r) => setTimeout(r, wait));
		if (!this.running) {
			// Stopped between claim and instant: hand the runs back as interrupted.
			await this.complete(prepared.map((p) => interruptedOutcome(p.active.run.id, `instance ${this.instanceId} stopped before the run started`)));
			return;
		}
		for (const p of prepared) this.launch(p);
	}

	/** The claim lead starts at 150 ms and follows twice the recent claim time, within 20-250 ms. */
	private claimLeadMs = 150;
	private learnClaimTime(ms: number): void {
		const target = Math.min(250, Math.max(20, 2 * ms));
		this.claimLeadMs = Math.round(0.8 * this.claimLeadMs + 0.2 * target);
	}

	/** Skips and replacements that follow a claim; returns the jobs whose ticks we recorded. */
	private async afterClaim(ticks: Tick[], claimed: ClaimedRun[]): Promise<string[]> {
		const won = claimed.length === ticks.length ? null : new Set(claimed.map((r) => `${r.jobId}\u0000${r.scheduledFor?.getTime()}`));
		const unclaimed = won ? ticks.filter((t) => !won.has(`${t.jobId}\u0000${t.scheduledFor.getTime()}`)) : [];
		const skippedKeys: string[] = [];
		ticksTotal.inc({ outcome: 'claimed' }, claimed.filter((r) => r.status === 'running').length);
		ticksTotal.inc({ outcome: 'skipped' }, claimed.filter((r) => r.status === 'skipped').length);
		if (unclaimed.length && !this.settings['scheduler.paused']) {
			const skipped = await ledger.recordOverlapSkips(this.sql, unclaimed);
			ticksTotal.inc({ outcome: 'skipped' }, skipped.length);
			if (skipped.length) await this.touchJobs(skipped);
			skippedKeys.push(...skipped.map((r) => r.jobId));
		}
		const replacing = claimed.filter((r) => r.status === 'running' && this.jobs.get(r.jobId)?.job.overlap === 'replace');
		if (replacing.length) {
			const cancelled = await ledger.cancelReplaced(this.sql, replacing);
			if (cancelled.length) {
				this.abortLocal(cancelled, 'replaced by a newer run');
				await notify(this.sql, { t: 'cancel', ids: cancelled });
			}
		}
		const paused = claimed.filter((r) => r.status === 'skipped');
		if (paused.length) await this.touchJobs(paused);
		return [...claimed.map((r) => r.jobId), ...skippedKeys];
	}

	/** Skipped and missed ticks are the job's latest news too. */
	private async touchJobs(runs: ClaimedRun[]): Promise<void> {
		await this.sql.unsafe(
			`with locked as materialized (
				select key from cron_job where key = any($1::text[]) order by key for no key update
			)
			update cron_job j set last_status = u.status, last_run_at = u.at
			from unnest($1::text[], $2::text[], $3::timestamptz[]) as u(key, status, at), locked k
			where j.key = u.key and k.key = j.key and (j.last_run_at is null or j.last_run_at <= u.at)`,
			[runs.map((r) => r.jobId), runs.map((r) => r.status), runs.map((r) => (r.scheduledFor ?? new Date()).toISOString())] as never
		);
	}

	private async writeNextRuns(keys: string[]): Promise<void> {
		if (!keys.length) return;
		const next = keys.map((k) => this.jobs.get(k)?.nextAt ?? null).map((n) => (n === null ? null : new Date(n).toISOString()));
		await this.sql
			.unsafe(
				`with locked as materialized (
					select key from cron_job where key = any($1::text[]) order by key for no key update
				)
				update cron_job j set next_run_at = u.next
				from unnest($1::text[], $2::timestamptz[]) as u(key, next), locked k
				where j.key = u.key and k.key = j.key and j.next_run_at is distinct from u.next`,
				[keys, next] as never
			)
			.catch((err: unknown) => this.log.warn({ err }, 'could not store next run times'));
	}

	/**
	 * Catch-up after downtime (SPEC §4.3): ticks owed since the job's last recorded tick (or
	 * since it was created, enabled or rescheduled) and not yet recorded. `skip` records them
	 * `missed`; `once` queues the latest as a `catch_up` run; `all` queues each (at most 100);
	 * ticks older than `catchUpMaxAgeMs` are `missed`. With `claimLatest` (POST /api/cron/run)
	 * the latest due tick is returned to be claimed as a regular tick instead.
	 */
	private async catchUp(now: Date, claimLatest: boolean, only?: string[]): Promise<Tick[]> {
		const candidates = [...this.jobs.values()].filter(
			(a) => a.job.enabled && a.schedule && !a.error && (!only || only.includes(a.job.key))
		);
		if (!candidates.length) return [];
		const keys = candidates.map((a) => a.job.key);
		const last = await this.sql.unsafe<{ key: string; lastTick: Date | null; owedSince: Date }[]>(
			`select j.key, j.ticks_owed_since as "owedSince",
				(select max(e.scheduled_for) from cron_job_execution e where e.job_id = j.key) as "lastTick"
			from cron_job j where j.key = any($1::text[])`,
			[keys] as never
		);
		const byKey = new Map(last.map((r) => [r.key, r]));
		const missed: { jobId: string; at: Date; note: string }[] = [];
		const queued: ledger.EnqueueInput[] = [];
		const latestTicks: Tick[] = [];
		for (const a of candidates) {
			const row = byKey.get(a.job.key);
			if (!row) continue;
			const from = Math.max(row.lastTick?.getTime() ?? -Infinity, row.owedSince.getTime());
			// Usually nothing is owed: one previous run tells, before enumerating up to the cap.
			const latest = previousRuns(a.schedule!, 1, now)[0];
			if (!latest || latest.getTime() <= from) continue;
			// Most recent first; one more than the cap tells whether older ticks were cut off.
			const owed = previousRuns(a.schedule!, CATCH_UP_CAP + 1, now).filter((d) => d.getTime() > from && d.getTime() <= now.getTime());
			if (!owed.length) continue;
			const truncated = owed.length > CATCH_UP_CAP;
			if (truncated) owed.pop();
			const ticks = owed;
			if (claimLatest) {
				const latest = ticks.shift()!;
				latestTicks.push({ jobId: a.job.key, scheduledFor: latest, overlap: a.job.overlap });
			}
			const oldest = ticks[ticks.length - 1];
			const cutoff = now.getTime() - a.job.catchUpMaxAgeMs;
			ticks.forEach((t, i) => {
				const note =
					truncated && t === oldest
						? `missed while no instance was running; earlier ticks since ${new Date(from > 0 ? from : row.owedSince.getTime()).toISOString()} were missed too`
						: 'missed while no instance was running';
				if (t.getTime() < cutoff) missed.push({ jobId: a.job.key, at: t, note: `${note} (older than catch-up max age)` });
				else if (a.job.catchUp === 'all' || (a.job.catchUp === 'once' && i === 0)) {
					queued.push({ jobId: a.job.key, trigger: 'catch_up', scheduledFor: t, runAt: now, triggeredBy: 'catch-up' });
				} else missed.push({ jobId: a.job.key, at: t, note: `${note} (catch-up: ${a.job.catchUp})` });
			});
		}
		if (missed.length) {
			missed.sort((x, y) => (x.jobId < y.jobId ? -1 : x.jobId > y.jobId ? 1 : x.at.getTime() - y.at.getTime()));
			const rows = await this.sql.unsafe<ClaimedRun[]>(
				`insert into cron_job_execution (job_id, trigger, scheduled_for, run_at, status, finished_at, error_message)
				select u.job_id, 'schedule', u.at, u.at, 'missed', now(), u.note
				from unnest($1::text[], $2::timestamptz[], $3::text[]) as u(job_id, at, note)
				order by u.job_id, u.at
				on conflict do nothing
				returning id, job_id as "jobId", scheduled_for as "scheduledFor", status`,
				[missed.map((m) => m.jobId), missed.map((m) => m.at.toISOString()), missed.map((m) => m.note)] as never
			);
			ticksTotal.inc({ outcome: 'missed' }, rows.length);
			if (rows.length) await this.touchJobs(rows);
		}
		if (queued.length) {
			const rows = await ledger.enqueue(this.sql, queued);
			ticksTotal.inc({ outcome: 'caught_up' }, rows.length);
			if (rows.length) {
				this.log.info({ runs: rows.length }, 'queued catch-up runs');
				this.wakeQueue();
			}
		}
		return latestTicks;
	}

	// ---- cross-instance signals ----------------------------------------------------------

	private async onSignal(s: Signal): Promise<void> {
		if (!this.running) return;
		if (s.t === 'queue') this.wakeQueue();
		else if (s.t === 'cancel') this.abortLocal(s.ids, 'cancelled');
		else if (s.t === 'settings') await this.reloadSettings();
		else if (s.t === 'job') await this.reloadJob(s.key);
	}

	private async reloadSettings(): Promise<void> {
		const before = this.settings;
		this.settings = await loadSettings(this.sql, this.opts.defaultTimezone);
		if (before['scheduler.defaultTimezone'] !== this.settings['scheduler.defaultTimezone']) {
			for (const a of this.jobs.values()) if (a.job.timezone === null) this.arm(a.job, Date.now());
			await this.writeNextRuns([...this.jobs.keys()]);
		}
	}

	/** A job changed somewhere: reload it; re-arm only if when it fires changed. */
	async reloadJob(key: string): Promise<void> {
		const job = await this.db.query.cronJob.findFirst({ where: (j, { eq }) => eq(j.key, key) });
		if (!job) return this.disarm(key);
		const cur = this.jobs.get(key);
		const timing = (j: CronJob) => `${j.enabled}|${j.schedule}|${j.timezone}|${j.configError}|${j.type}`;
		if (cur && timing(cur.job) === timing(job)) {
			cur.job = job; // policies apply from the next run on; the armed tick stays
			return;
		}
		this.arm(job, Date.now());
		await this.writeNextRuns([key]);
	}

	/** Safety net for lost notifications: compare every job's updated_at. */
	private async resync(): Promise<void> {
		if (!this.running) return;
		try {
			const rows = await this.sql<{ key: string; updatedAt: Date; configError: string | null }[]>`
				select key, updated_at as "updatedAt", config_error as "configError" from cron_job`;
			const seen = new Set<string>();
			for (const r of rows) {
				seen.add(r.key);
				const cur = this.jobs.get(r.key);
				if (!cur || cur.job.updatedAt.getTime() !== r.updatedAt.getTime()) await this.reloadJob(r.key);
			}
			for (const key of this.jobs.keys()) if (!seen.has(key)) this.disarm(key);
			await this.reloadSettings();
		} catch (err) {
			this.log.warn({ err }, 'resync failed');
		}
	}

	// ---- the queue ---------------------------------------------------------------------

	/** Claims due queued runs now (coalescing concurrent wake-ups). */
	wakeQueue(): void {
		if (!this.running) return;
		if (this.claimingQueue) {
			this.claimAgain = true;
			return;
		}
		this.claimingQueue = this.claimQueueLoop()
			.catch((err: unknown) => this.log.error({ err }, 'queue claim failed'))
			.finally(() => {
				this.claimingQueue = null;
				if (this.claimAgain) {
					this.claimAgain = false;
					this.wakeQueue();
				}
			});
	}

	private async claimQueueLoop(): Promise<void> {
		for (;;) {
			this.claimAgain = false;
			const room = this.concurrency - this.activeQueued;
			if (room <= 0 || !this.running) break;
			const runs = await ledger.claimQueued(this.sql, Math.min(room, 200), this.instanceId, this.leaseMs);
			for (const run of runs) this.execute(run, true);
			if (runs.length < Math.min(room, 200)) break;
		}
		await this.armQueueTimer();
	}

	private async armQueueTimer(): Promise<void> {
		if (!this.running) return;
		const next = await ledger.nextQueuedAt(this.sql);
		clearTimeout(this.queueTimer);
		const delay = next ? Math.min(Math.max(0, next.getTime() - Date.now()) + 5, this.pollMs) : this.pollMs;
		this.queueTimer = setTimeout(() => this.wakeQueue(), delay);
	}

	// ---- running handlers ------------------------------------------------------------------

	private execute(run: ClaimedRun, fromQueue: boolean): void {
		this.launch(this.prepare(run, fromQueue));
	}

	private prepare(run: ClaimedRun, fromQueue: boolean): Prepared {
		const controller = new AbortController();
		const active: Active = { run, controller, timedOut: false, abortedFor: null, fromQueue, done: Promise.resolve('succeeded') };
		const armed = this.jobs.get(run.jobId);
		const output = new OutputBuffer();
		return { active, armed, output, context: armed?.handler ? this.contextOf(armed, active, output) : null };
	}

	/** The handler's context; an Error when its params do not validate (the run fails with it). */
	private contextOf(armed: Armed, { run, controller }: Active, output: OutputBuffer): JobContext | Error {
		try {
			return {
				signal: controller.signal,
				log: output.log.bind(output),
				params: this.paramsFor(armed),
				db: this.db,
				execution: { id: run.id, jobKey: run.jobId, attempt: run.attempt, trigger: run.trigger, scheduledFor: run.scheduledFor }
			};
		} catch (err) {
			return err instanceof Error ? err : new Error(String(err));
		}
	}

	private launch(prepared: Prepared): void {
		const { active } = prepared;
		const { run, fromQueue } = active;
		this.active.set(run.id, active);
		if (fromQueue) this.activeQueued++;
		if (run.trigger === 'schedule' && run.scheduledFor) fireLag.observe(Math.max(0, Date.now() - run.scheduledFor.getTime()) / 1000);
		active.done = this.runHandler(prepared).finally(() => {
			this.active.delete(run.id);
			if (fromQueue) {
				this.activeQueued--;
				this.wakeQueue();
			}
		});
	}

	private async runHandler(prepared: Prepared): Promise<Outcome['status']> {
		const { active, output } = prepared;
		const { run, controller } = active;
		const armed = prepared.armed ?? (await this.loadArmed(run.jobId));
		const started = performance.now();
		let timer: NodeJS.Timeout | undefined;
		const finish = (o: Omit<Outcome, 'id' | 'output' | 'durationMs'>) =>
			this.complete([{ id: run.id, output: output.text(), durationMs: Math.round(performance.now() - started), ...o }]);
		if (!armed?.handler) {
			await finish({ status: 'failed', result: null, errorMessage: armed?.error ?? `job ${run.jobId} no longer exists`, errorStack: null, release: true });
			return 'failed';
		}
		const timeoutMs = armed.job.timeoutMs;
		let status: Outcome['status'];
		let outcome: Omit<Outcome, 'id' | 'output' | 'durationMs'>;
		try {
			const context = prepared.context ?? this.contextOf(armed, active, output);
			if (context instanceof Error) throw context;
			const pending = Promise.resolve(armed.handler(context));
			timer = setTimeout(() => {
				active.timedOut = true;
				controller.abort(new RunAborted(`timed out after ${timeoutMs} ms`));
				// The run is timed_out now; a handler that ignores its signal keeps the job's
				// slot (and its lease renewed) until it really stops.
				void finish({ status: 'timed_out', result: null, errorMessage: `timed out after ${timeoutMs} ms`, errorStack: null, release: false });
			}, timeoutMs);
			const result = await pending;
			status = 'succeeded';
			outcome = { status, result: result ?? null, errorMessage: null, errorStack: null, release: true };
		} catch (err) {
			const e = err instanceof Error ? err : new Error(String(err));
			status = active.abortedFor ? 'cancelled' : 'failed';
			outcome = {
				status,
				result: null,
				errorMessage: active.abortedFor ? `${active.abortedFor}: ${e.message}` : e.message,
				errorStack: e.stack ?? null,
				release: true
			};
		} finally {
			clearTimeout(timer);
		}
		if (!active.timedOut) {
			await finish(outcome);
			return status;
		}
		// Free the slot now that the handler has stopped; the timed_out status stays.
		await this.complete([{ id: run.id, status: 'timed_out', durationMs: null, output: null, result: null, errorMessage: null, errorStack: null, release: true }]);
		return 'timed_out';
	}

	private async loadArmed(key: string): Promise<Armed | undefined> {
		await this.reloadJob(key);
		return this.jobs.get(key);
	}

	private paramsFor(armed: Armed): Record<string, unknown> {
		const schema = armed.job.source === 'code' ? this.definitions.get(armed.job.key)?.params : this.opts.types[armed.job.type]?.params;
		if (!schema) return armed.job.params;
		const parsed = schema.safeParse(armed.job.params);
		if (!parsed.success) {
			const issue = parsed.error.issues[0];
			throw new Error(`invalid params: ${issue?.path.join('.') || 'params'} ${issue?.message ?? ''}`.trim());
		}
		return parsed.data as Record<string, unknown>;
	}

	private abortLocal(ids: number[], reason: string): void {
		for (const id of ids) {
			const a = this.active.get(id);
			if (a && !a.controller.signal.aborted) {
				a.abortedFor = reason;
				a.controller.abort(new RunAborted(reason));
			}
		}
	}

	/**
	 * Group commit of outcomes: while one settle statement is in flight the next ones gather,
	 * so a burst of completions costs a few statements, not one each. Resolves once durable.
	 */
	private complete(outcomes: Outcome[]): Promise<void> {
		const waits = outcomes.map(
			(o) =>
				new Promise<void>((resolve) => {
					const pending = this.pendingOutcomes.get(o.id);
					if (pending) {
						// The same run twice in one batch (timed out, then stopped): merge.
						pending.outcome.release ||= o.release;
						pending.waiters.push(resolve);
					} else this.pendingOutcomes.set(o.id, { outcome: o, waiters: [resolve] });
				})
		);
		this.flushing ??= this.flushOutcomes().finally(() => (this.flushing = null));
		return Promise.all(waits).then(() => undefined);
	}

	private async flushOutcomes(): Promise<void> {
		while (this.pendingOutcomes.size) {
			const batch = [...this.pendingOutcomes.values()].slice(0, 500);
			for (const b of batch) this.pendingOutcomes.delete(b.outcome.id);
			try {
				const { settled, retries } = await ledger.settle(
					this.sql,
					batch.map((b) => b.outcome)
				);
				for (const s of settled) {
					if (!s.transitioned) continue;
					runsTotal.inc({ job: s.jobId, status: s.status });
					if (s.durationMs !== null) runDuration.observe({ job: s.jobId }, s.durationMs / 1000);
				}
				for (const b of batch) for (const w of b.waiters) w();
				if (retries) this.wakeQueue();
			} catch (err) {
				// Never drop an outcome: put the batch back and try again shortly.
				this.log.error({ err }, 'could not record run outcomes; retrying');
				for (const b of batch) {
					const again = this.pendingOutcomes.get(b.outcome.id);
					if (again) {
						again.outcome.release ||= b.outcome.release;
						again.waiters.push(...b.waiters);
					} else this.pendingOutcomes.set(b.outcome.id, b);
				}
				if (this.closed) return;
				await new Promise((r) => setTimeout(r, 1000));
			}
		}
	}

	private async renewLeases(): Promise<void> {
		const ids = [...this.active.keys()];
		if (!ids.length) return;
		try {
			const held = await ledger.renewLeases(this.sql, ids, this.instanceId, this.leaseMs);
			for (const [id, a] of this.active) {
				const status = held.get(id);
				if (a.controller.signal.aborted) continue;
				if (status === undefined) {
					a.abortedFor = 'lease lost (the run was recovered by another instance)';
					a.controller.abort(new RunAborted(a.abortedFor));
				} else if (status === 'cancelled') {
					a.abortedFor = 'cancelled';
					a.controller.abort(new RunAborted('cancelled'));
				}
			}
		} catch (err) {
			this.log.warn({ err }, 'lease renewal failed');
		}
	}

	private async reap(): Promise<number> {
		try {
			const settled = await ledger.reapExpiredLeases(this.sql);
			const interrupted = settled.filter((s) => s.transitioned);
			for (const s of interrupted) runsTotal.inc({ job: s.jobId, status: s.status });
			if (interrupted.length) {
				this.log.warn({ runs: interrupted.map((s) => s.id) }, 'recovered runs whose instance stopped heartbeating');
				this.wakeQueue();
			}
			return interrupted.length;
		} catch (err) {
			this.log.warn({ err }, 'lease reaping failed');
			return 0;
		}
	}

	// ---- entry points for the service, the CLI and POST /api/cron/run ---------------------

	/**
	 * Runs one job now in this process and waits for it (CLI `run`). The run is a regular
	 * `manual` row, claimed and leased like any other.
	 */
	async runNow(key: string, triggeredBy: string): Promise<{ id: number; status: Outcome['status'] }> {
		if (!this.running) await this.startPassive();
		const [queued] = await ledger.enqueue(this.sql, [{ jobId: key, trigger: 'manual', triggeredBy, runAt: new Date(Date.now() + 3600_000) }]);
		if (!queued) throw new Error(`could not enqueue ${key}`);
		// Claim exactly this row: running under our lease, out of other workers' reach.
		const [run] = await this.sql.unsafe<ClaimedRun[]>(
			`update cron_job_execution e set status = 'running', instance_id = $2, started_at = now(), run_at = now(),
				lease_expires_at = now() + make_interval(secs => $3::double precision / 1000),
				exclusive = (select overlap = 'forbid' from cron_job where key = e.job_id)
			where id = $1 and status = 'queued'
			returning id, job_id as "jobId", trigger, scheduled_for as "scheduledFor", attempt, status, started_at as "startedAt"`,
			[queued.id, this.instanceId, this.leaseMs] as never
		).catch((err: { code?: string }) => {
			if (err.code === '23505') throw new Error(`${key} is already running (overlap: forbid)`);
			throw err;
		});
		if (!run) throw new Error(`could not claim run ${queued.id}`);
		this.execute(run, false);
		const status = await this.active.get(run.id)!.done;
		return { id: Number(run.id), status };
	}

	/**
	 * For hosts without a long-running process: claim and run every tick due now (catch-up
	 * policy for older owed ticks) and every due queued run, and wait for them.
	 */
	async runDue(): Promise<RunSummary[]> {
		if (!this.running) await this.startPassive();
		const now = new Date();
		const ticks = await this.catchUp(now, true);
		const claimed = ticks.length ? await ledger.claimTicks(this.sql, ticks, this.instanceId, this.leaseMs, this.settings['scheduler.paused']) : [];
		const started = claimed.filter((r) => r.status === 'running');
		for (const run of started) this.execute(run, false);
		await this.afterClaim(ticks, claimed);
		const queued = await ledger.claimQueued(this.sql, this.concurrency, this.instanceId, this.leaseMs);
		for (const run of queued) this.execute(run, false);
		started.push(...queued);
		const results = await Promise.all(started.map(async (r) => ({ id: Number(r.id), jobKey: r.jobId, status: await this.active.get(r.id)!.done })));
		for (const a of this.jobs.values()) {
			if (a.schedule && a.job.enabled && !a.error) a.nextAt = nextRun(a.schedule, new Date())?.getTime() ?? null;
		}
		await this.writeNextRuns([...this.jobs.keys()]);
		return [...claimed.filter((r) => r.status === 'skipped').map((r) => ({ id: Number(r.id), jobKey: r.jobId, status: r.status })), ...results];
	}

	/** Loads jobs and settings without timers (web role, CLI), so handlers can run here. */
	private passive = false;
	private async startPassive(): Promise<void> {
		if (this.passive) return;
		this.settings = await loadSettings(this.sql, this.opts.defaultTimezone);
		for (const job of await this.loadAll()) this.arm(job, Date.now());
		this.heap = new TimerHeap();
		this.passive = true;
		const renew = setInterval(() => void this.renewLeases(), Math.max(100, Math.floor(this.leaseMs / 3)));
		renew.unref();
		this.intervals.push(renew);
	}

	/** Stops the scheduler or what `startPassive` started; handlers that ignore their signal are left behind. */
	async close(graceMs?: number): Promise<void> {
		await this.stop(graceMs);
		if (!(await settlesWithin(this.flushing, 5_000))) this.closed = true;
		for (const i of this.intervals) clearInterval(i);
		this.intervals = [];
	}
}
