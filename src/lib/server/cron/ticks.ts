/**
 * Claiming ticks. The timers hand over every tick due by the claim horizon; they are claimed in
 * one statement (the database's clock decides what is due), started at their instant, and
 * followed by what the claim implies (overlap skips, replacements, the job's latest news).
 *
 * Faults: a tick whose claim fails, or that the database finds early, waits here and is claimed
 * again (with backoff) while it is within the late tolerance; past it, it goes to catch-up as
 * soon as the database answers. Ticks the timers find already late (the process was frozen or
 * stalled) go to catch-up over the whole gap. Nothing here can take a job off the timers.
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
import type { Runner } from './runner';
import type { DueTick } from './timers';

/** Ticks of one job waiting for a claim: instants ascending, the oldest beyond the cap dropped. */
type Waiting = { gen: number; instants: number[]; droppedSince: number | null };

export class TickClaims {
	/** The claim lead starts at 150 ms and follows twice the recent claim time, within 20-250 ms. */
	leadMs = 150;
	lastTickAt: number | null = null;
	private waiting = new Map<string, Waiting>();
	/** Jobs whose ticks the timers found late: catch-up over the whole gap. */
	private gaps = new Set<string>();
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
		let n = this.gaps.size;
		for (const w of this.waiting.values()) n += w.instants.length;
		return n;
	}

	stop(): void {
		this.stopped = true;
		this.engine.clock.clearTimeout(this.retryTimer);
	}

	/** Claims due ticks, starts the claimed runs at their instant, and records what follows. */
	async claim(due: DueTick[]): Promise<void> {
		const { time, timing, sql, instanceId, clock } = this.engine;
		const now = time.now();
		const late = due.filter((d) => now - d.at > timing.lateToleranceMs);
		if (late.length) this.gap(late.map((d) => d.armed.job.key));
		const onTime = due.filter((d) => now - d.at <= timing.lateToleranceMs);
		if (!onTime.length) return;
		const ticks: Tick[] = onTime.map((d) => ({ jobId: d.armed.job.key, scheduledFor: new Date(d.at), overlap: d.armed.job.overlap }));
		const began = clock.monotonic();
		let res: ledger.TickClaim;
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
			this.wait(onTime);
			return;
		}
		this.failures = 0;
		const toRun = res.claimed.filter((r) => r.status === 'running').map((r) => this.runner.prepare(r, false));
		// Both the claim and the preparation have to fit between the wake-up and the instant.
		this.learnClaimTime(clock.monotonic() - began);
		this.lastTickAt = now;
		if (res.early.length || res.late.length) this.deps.clockSuspect();
		if (res.early.length) this.wait(this.dueOf(res.early));
		if (res.late.length) this.wait(this.dueOf(res.late));
		await this.runner.startAt(toRun);
		await this.afterClaim(ticks, res);
	}

	private dueOf(ticks: Tick[]): DueTick[] {
		return ticks.flatMap((t) => {
			const armed = this.jobs.get(t.jobId);
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
		const seen = new Set([...claimed, ...res.early.map((t) => ({ jobId: t.jobId, scheduledFor: t.scheduledFor })), ...res.late].map((r) => `${r.jobId}\u0000${r.scheduledFor?.getTime()}`));
		const unclaimed = ticks.filter((t) => !seen.has(`${t.jobId}\u0000${t.scheduledFor.getTime()}`));
		ticksTotal.inc({ outcome: 'claimed' }, claimed.filter((r) => r.status === 'running').length);
		ticksTotal.inc({ outcome: 'skipped' }, claimed.filter((r) => r.status === 'skipped').length);
		const recorded = claimed.map((r) => r.jobId);
		if (unclaimed.length && !this.deps.paused()) {
			try {
				const skipped = await ledger.recordOverlapSkips(this.engine.sql, unclaimed);
				ticksTotal.inc({ outcome: 'skipped' }, skipped.length);
				if (skipped.length) this.latest(skipped);
				recorded.push(...skipped.map((r) => r.jobId));
			} catch (err) {
				this.failed(err, 'recording overlap skips failed; trying again');
				this.wait(this.dueOf(unclaimed));
			}
		}
		const replacing = claimed.filter((r) => r.status === 'running' && this.jobs.get(r.jobId)?.job.overlap === 'replace');
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

	private latest(runs: ClaimedRun[]): void {
		this.deps.defer(`latest:${runs[0]!.id}`, () => recordLatest(this.engine.sql, runs));
	}

	/** Jobs whose ticks were found late: their whole gap goes to catch-up. */
	private gap(keys: string[]): void {
		for (const k of keys) this.gaps.add(k);
		this.scheduleRetry(0);
	}

	/** Ticks to claim again: at their instant if early, after a backoff if their claim failed. */
	private wait(due: DueTick[]): void {
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
				w.droppedSince ??= dropped;
			}
		}
		this.scheduleRetry(this.failures ? backoff(this.engine.timing, this.failures) : this.nextWaitingDelay());
	}

	private failed(err: unknown, what: string): void {
		if (this.failures++ === 0) this.engine.log.warn({ err }, what);
	}

	/** Until the earliest waiting tick is within the claim lead. */
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
	 * Claims waiting ticks whose time has come; sends those past the late tolerance, and the
	 * gaps, to catch-up. Whatever fails stays for the next try.
	 */
	async retry(): Promise<void> {
		if (this.stopped) return;
		const { time, timing, log } = this.engine;
		const now = time.now();
		const ready: DueTick[] = [];
		const late = new Map<Armed, OwedTicks>();
		for (const [key, w] of this.waiting) {
			const armed = this.jobs.get(key);
			// Re-armed (edited, disabled) since: ticks of the old configuration are not owed.
			if (!armed || armed.gen !== w.gen || !this.jobs.schedulable(armed)) {
				this.waiting.delete(key);
				continue;
			}
			const past = w.instants.filter((at) => now - at > timing.lateToleranceMs);
			if (past.length) late.set(armed, { owed: past.reverse(), truncatedSince: w.droppedSince });
			for (const at of w.instants) if (now - at <= timing.lateToleranceMs && at - this.leadMs <= now) ready.push({ armed, at });
			w.instants = w.instants.filter((at) => at - this.leadMs > now);
			if (past.length) w.droppedSince = null;
			if (!w.instants.length) this.waiting.delete(key);
		}
		// Ticks still within the tolerance first: they can run on time.
		if (ready.length) await this.claim(ready);
		try {
			if (late.size) await this.catchUp.forTicks(late, now);
			if (this.gaps.size) {
				const only = [...this.gaps];
				await this.catchUp.afterDowntime(now, { only });
				for (const k of only) this.gaps.delete(k);
				this.deps.touched(only);
			}
			this.failures = 0;
		} catch (err) {
			this.failed(err, 'catch-up failed; trying again');
			for (const [armed, owed] of late) this.restore(armed, owed);
			this.scheduleRetry(backoff(timing, this.failures));
			return;
		}
		if (late.size) {
			log.info({ jobs: [...late.keys()].map((a) => a.job.key) }, 'ticks whose claims failed went to catch-up');
			this.deps.touched([...late.keys()].map((a) => a.job.key));
		}
		if (this.waiting.size && !this.failures) this.scheduleRetry(this.nextWaitingDelay());
	}

	/** Puts late ticks back after a failed catch-up (still owed; still capped). */
	private restore(armed: Armed, { owed, truncatedSince }: OwedTicks): void {
		this.wait(owed.map((at) => ({ armed, at })));
		const w = this.waiting.get(armed.job.key);
		if (w && truncatedSince !== null) w.droppedSince = Math.min(w.droppedSince ?? Infinity, truncatedSince);
	}
}
