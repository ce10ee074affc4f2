/**
 * Claiming ticks. The timers hand over every tick due by the claim horizon; they are claimed in
 * one statement (the database's clock decides what is due), started at their instant, and
 * followed by what the claim implies (overlap skips, replacements, the job's latest news).
 *
 * Faults: a tick whose claim fails, or that the database finds early, waits here and is claimed
 * again (with backoff) while it is within the late tolerance; past it, it is owed, and goes to
 * catch-up as soon as the database answers. Ticks the timers find already late (the process was
 * frozen or stalled) are owed with every tick of the gap. Owed ticks of a job are planned
 * together once no claim is in flight, so one outage makes one `once` catch-up run per job.
 * Nothing here can take a job off the timers.
 */
import { ticksTotal } from '../metrics';
import type { Armed, ArmedJobs } from './armed';
import { CATCH_UP_CAP, type CatchUp, type OwedTicks } from './catch-up';
import type { Timer } from './clock';
import { backoff, type Engine } from './engine';
import { recordLatest } from './jobs';
import * as ledger from './ledger';
import type { ClaimedRun, Tick } from './ledger';
import { notify } from './notify';
import { interruptedOutcome, type Runner } from './runner';
import { previousRuns } from './schedule';
import type { DueTick } from './timers';

/** Ticks of one job waiting for a claim or a catch-up: instants ascending, the oldest beyond the cap dropped. */
type Waiting = { gen: number; instants: number[]; droppedSince: number | null };

export class TickClaims {
	/** The claim lead starts at 150 ms and follows twice the recent claim time, within 20-250 ms. */
	leadMs = 150;
	lastTickAt: number | null = null;
	private waiting = new Map<string, Waiting>();
	private inflight = 0;
	/** Claims under way (statement, start at the instant, what follows): stopping waits for them. */
	private claiming = new Set<Promise<void>>();
	private retryTimer: Timer | undefined;
	private retryAt = Infinity;
	private failures = 0;
	private stopped = false;

	constructor(
		private readonly engine: Engine,
		private readonly jobs: ArmedJobs,
		private readonly runner: Runner,
		private readonly catchUp: CatchUp,
		private readonly deps: {
			paused: () => boolean;
			defer: (name: string, write: () => Promise<unknown>) => void;
			/** These jobs' next runs should be stored for the list page. */
			touched: (keys: string[]) => void;
			/** The database disagreed with our estimate of its clock: measure again. */
			clockSuspect: () => void;
		}
	) {}

	/** Ticks waiting for a claim or a catch-up (for status and tests). */
	get backlog(): number {
		let n = 0;
		for (const w of this.waiting.values()) n += w.instants.length;
		return n;
	}

	start(): void {
		this.stopped = false;
	}

	stop(): void {
		this.stopped = true;
		this.engine.clock.clearTimeout(this.retryTimer);
	}

	/**
	 * The timers' due ticks: those on time are claimed; a tick already late means the timers
	 * were held up (a frozen process), so it and every tick of the job since are owed.
	 */
	async take(due: DueTick[], now: number): Promise<void> {
		const { timing } = this.engine;
		const onTime: DueTick[] = [];
		for (const d of due) {
			if (now - d.at <= timing.lateToleranceMs) onTime.push(d);
			else if (d.armed.schedule) {
				// The timers armed the job's next instant from now: the ticks in between are owed.
				const gap = previousRuns(d.armed.schedule, CATCH_UP_CAP + 1, new Date(now + 1)).map((x) => x.getTime());
				this.hold([d, ...gap.filter((at) => at > d.at).map((at) => ({ armed: d.armed, at }))]);
			}
		}
		if (onTime.length) await this.claim(onTime);
	}

	/** Resolves once the claims under way have finished, or after `ms`. */
	async settled(ms: number): Promise<void> {
		if (!this.claiming.size) return;
		let timer;
		await Promise.race([Promise.all(this.claiming), new Promise((r) => (timer = this.engine.clock.setTimeout(() => r(undefined), ms)))]);
		this.engine.clock.clearTimeout(timer);
	}

	/** Claims ticks, starts the claimed runs at their instant, and records what follows. */
	private claim(due: DueTick[]): Promise<void> {
		const p = this.claimNow(due).finally(() => this.claiming.delete(p));
		this.claiming.add(p);
		return p;
	}

	private async claimNow(due: DueTick[]): Promise<void> {
		const { timing, sql, instanceId, clock, time } = this.engine;
		const ticks: Tick[] = due.map((d) => ({ jobKey: d.armed.job.key, scheduledFor: new Date(d.at), overlap: d.armed.job.overlap }));
		const began = clock.monotonic();
		let res: ledger.TickClaim;
		this.inflight++;
		try {
			res = await ledger.claimTicks(sql, ticks, {
				instanceId,
				leaseMs: timing.leaseMs,
				paused: this.deps.paused(),
				leadMs: this.leadMs + 50,
				lateMs: timing.lateToleranceMs
			});
		} catch (err) {
			this.failed(err, 'claiming ticks failed; they will be claimed again');
			this.hold(due);
			return;
		} finally {
			this.inflight--;
		}
		this.failures = 0;
		// Never twice: a row adopted from a lost answer may not be one we already run.
		const fresh = res.claimed.filter((r) => !this.runner.active.has(r.id));
		const toRun = fresh.filter((r) => r.status === 'running').map((r) => this.runner.prepare(r, false));
		// Both the claim and the preparation have to fit between the wake-up and the instant.
		this.learnClaimTime(clock.monotonic() - began);
		this.lastTickAt = time.now();
		if (res.early.length || res.late.length) this.deps.clockSuspect();
		if (res.early.length || res.late.length) this.hold(this.dueOf([...res.early, ...res.late]));
		if (res.orphaned.length) this.release(res.orphaned);
		await this.runner.startAt(toRun);
		await this.afterClaim(ticks, res);
	}

	private dueOf(ticks: Tick[]): DueTick[] {
		return ticks.flatMap((t) => {
			const armed = this.jobs.get(t.jobKey);
			return armed ? [{ armed, at: t.scheduledFor.getTime() }] : [];
		});
	}

	private learnClaimTime(ms: number): void {
		const target = Math.min(250, Math.max(20, 2 * ms));
		this.leadMs = Math.round(0.8 * this.leadMs + 0.2 * target);
	}

	/** Skips and replacements that follow a claim, and the jobs' latest news. */
	private async afterClaim(ticks: Tick[], res: ledger.TickClaim): Promise<void> {
		const { claimed } = res;
		const key = (jobKey: string, at: Date | null) => `${jobKey}\u0000${at?.getTime()}`;
		const seen = new Set([...claimed, ...res.orphaned, ...res.early, ...res.late].map((r) => key(r.jobKey, r.scheduledFor)));
		const unclaimed = ticks.filter((t) => !seen.has(key(t.jobKey, t.scheduledFor)));
		ticksTotal.inc({ outcome: 'claimed' }, claimed.filter((r) => r.status === 'running').length);
		ticksTotal.inc({ outcome: 'skipped' }, claimed.filter((r) => r.status === 'skipped').length);
		const recorded = claimed.map((r) => r.jobKey);
		if (unclaimed.length && !this.deps.paused()) {
			try {
				const skipped = await ledger.recordOverlapSkips(this.engine.sql, unclaimed);
				ticksTotal.inc({ outcome: 'skipped' }, skipped.length);
				if (skipped.length) this.latest(skipped);
				recorded.push(...skipped.map((r) => r.jobKey));
			} catch (err) {
				this.failed(err, 'recording overlap skips failed; trying again');
				this.hold(this.dueOf(unclaimed));
			}
		}
		const replacing = claimed.filter((r) => r.status === 'running' && this.jobs.get(r.jobKey)?.job.overlap === 'replace');
		if (replacing.length) this.deps.defer(`replace:${replacing[0]!.id}`, () => this.replace(replacing));
		const paused = claimed.filter((r) => r.status === 'skipped');
		if (paused.length) this.latest(paused);
		// The instance that recorded a tick stores the job's next run; the others need not.
		this.deps.touched([...new Set(recorded)]);
	}

	private async replace(runs: ClaimedRun[]): Promise<void> {
		const cancelled = await ledger.cancelReplaced(this.engine.sql, runs);
		if (cancelled.length) {
			this.runner.abort(cancelled, 'replaced by a newer run');
			await notify(this.engine.sql, { t: 'cancel', ids: cancelled });
		}
	}

	/** Rows of ours from a lost answer whose tick is now late: never started, so given back. */
	private release(runs: ClaimedRun[]): void {
		const { instanceId } = this.engine;
		const why = `instance ${instanceId} claimed this tick but lost the database's answer until it was too late to start`;
		this.deps.defer(`release:${runs[0]!.id}`, () =>
			ledger.settle(
				this.engine.sql,
				runs.map((r) => interruptedOutcome(r.id, why, instanceId))
			)
		);
	}

	private latest(runs: ClaimedRun[]): void {
		this.deps.defer(`latest:${runs[0]!.id}`, () => recordLatest(this.engine.sql, runs));
	}

	/** Ticks to claim again (at their instant if early, after a backoff if their claim failed) or owed. */
	private hold(due: DueTick[]): void {
		for (const { armed, at } of due) {
			let w = this.waiting.get(armed.job.key);
			if (!w || w.gen !== armed.gen) {
				w = { gen: armed.gen, instants: [], droppedSince: null };
				this.waiting.set(armed.job.key, w);
			}
			if (w.instants.includes(at)) continue;
			w.instants.push(at);
			w.instants.sort((x, y) => x - y);
			if (w.instants.length > CATCH_UP_CAP + 1) {
				const dropped = w.instants.shift()!;
				w.droppedSince = Math.min(w.droppedSince ?? Infinity, dropped);
			}
		}
		this.scheduleRetry(this.failures ? backoff(this.engine.timing, this.failures) : this.nextWaitingDelay());
	}

	private failed(err: unknown, what: string): void {
		if (this.failures++ === 0) this.engine.log.warn({ err }, what);
	}

	/** Until the earliest waiting tick is within the claim lead (owed ticks: now). */
	private nextWaitingDelay(): number {
		let first = Infinity;
		for (const w of this.waiting.values()) if (w.instants.length) first = Math.min(first, w.instants[0]!);
		return Number.isFinite(first) ? Math.max(0, first - this.leadMs - this.engine.time.now()) : 0;
	}

	/** Sets the retry timer, only ever earlier than it is set (frequent failures never starve it). */
	private scheduleRetry(ms: number): void {
		if (this.stopped) return;
		const { clock } = this.engine;
		const at = clock.monotonic() + ms;
		if (this.retryTimer && this.retryAt <= at) return;
		clock.clearTimeout(this.retryTimer);
		this.retryAt = at;
		this.retryTimer = clock.setTimeout(() => {
			this.retryTimer = undefined;
			void this.retry();
		}, ms);
	}

	/**
	 * Claims waiting ticks whose time has come, then sends owed ticks (past the late tolerance)
	 * to catch-up, once no claim is in flight. Whatever fails stays for the next try.
	 */
	async retry(): Promise<void> {
		if (this.stopped) return;
		const { time, timing, log } = this.engine;
		const now = time.now();
		const ready: DueTick[] = [];
		for (const [key, w] of this.waiting) {
			const armed = this.jobs.get(key);
			// Re-armed (edited, disabled) since: ticks of the old configuration are not owed.
			if (!armed || armed.gen !== w.gen || !this.jobs.schedulable(armed)) {
				this.waiting.delete(key);
				continue;
			}
			for (const at of w.instants) if (now - at <= timing.lateToleranceMs && at - this.leadMs <= now) ready.push({ armed, at });
			w.instants = w.instants.filter((at) => !(now - at <= timing.lateToleranceMs && at - this.leadMs <= now));
			if (!w.instants.length && w.droppedSince === null) this.waiting.delete(key);
		}
		// Ticks still within the tolerance first: they can run on time.
		if (ready.length) await this.claim(ready);
		if (this.inflight > 0) {
			// Claims still out may come back late: plan every owed tick of a job together.
			if (this.waiting.size) this.scheduleRetry(Math.max(50, backoff(timing, this.failures)));
			return;
		}
		const owed = new Map<Armed, OwedTicks>();
		const at = time.now();
		for (const [key, w] of this.waiting) {
			const armed = this.jobs.get(key)!;
			const past = w.instants.filter((t) => at - t > timing.lateToleranceMs);
			if (past.length) owed.set(armed, { owed: past.reverse(), truncatedSince: w.droppedSince });
		}
		if (owed.size) {
			try {
				await this.catchUp.forTicks(owed, at);
				this.failures = 0;
			} catch (err) {
				this.failed(err, 'catch-up failed; trying again');
				this.scheduleRetry(backoff(timing, this.failures));
				return;
			}
			for (const [armed, o] of owed) {
				const w = this.waiting.get(armed.job.key);
				if (!w) continue;
				const done = new Set(o.owed);
				w.instants = w.instants.filter((t) => !done.has(t));
				w.droppedSince = null;
				if (!w.instants.length) this.waiting.delete(armed.job.key);
			}
			const keys = [...owed.keys()].map((a) => a.job.key);
			log.info({ jobs: keys, ticks: [...owed.values()].reduce((n, o) => n + o.owed.length, 0) }, 'owed ticks went to catch-up');
			this.deps.touched(keys);
		}
		if (this.waiting.size) this.scheduleRetry(this.failures ? backoff(timing, this.failures) : this.nextWaitingDelay());
	}
}
