/**
 * Catch-up: what happens to ticks that were not claimed in time (the process was down or
 * frozen, or the database did not answer). Every such tick ends up in the ledger once: `skip`
 * records it `missed`; `once` queues the latest as a `catch_up` run and records the rest
 * `missed`; `all` queues each; ticks older than the job's `catchUpMaxAgeMs` are `missed`; under
 * the global pause they are `skipped`. At most CATCH_UP_CAP ticks per job are written, the
 * oldest saying how far back the gap went. Writes conflict on (job, scheduled_for), so a tick
 * another instance recorded stays as it is, and planning twice never writes twice.
 */
import { ticksTotal } from '../metrics';
import type { Armed, ArmedJobs } from './armed';
import type { Engine } from './engine';
import { recordLatest } from './jobs';
import * as ledger from './ledger';
import type { EnqueueInput, Tick, UnrunTick } from './ledger';
import { previousRuns, type CompiledSchedule } from './schedule';

export const CATCH_UP_CAP = 100;

export type CatchUpPlan = { missed: UnrunTick[]; queued: EnqueueInput[] };

export type OwedTicks = {
	/** Owed instants (ms), most recent first, at most CATCH_UP_CAP. */
	owed: number[];
	/** When older owed ticks were left out, the instant the gap began. */
	truncatedSince: number | null;
};

/** Ticks of `schedule` after `from` and at or before `now`, most recent first, capped. */
export function owedTicks(schedule: CompiledSchedule, from: number, now: number): OwedTicks {
	// Usually nothing is owed: one previous run tells, before enumerating up to the cap.
	const latest = previousRuns(schedule, 1, new Date(now + 1))[0];
	if (!latest || latest.getTime() <= from) return { owed: [], truncatedSince: null };
	// One more than the cap tells whether older ticks were cut off.
	const owed = previousRuns(schedule, CATCH_UP_CAP + 1, new Date(now + 1))
		.map((d) => d.getTime())
		.filter((t) => t > from && t <= now);
	const truncated = owed.length > CATCH_UP_CAP;
	if (truncated) owed.pop();
	return { owed, truncatedSince: truncated ? from : null };
}

/** What the job's policy makes of its owed ticks (pure: the caller writes the plan). */
export function planCatchUp(
	job: { key: string; catchUp: Armed['job']['catchUp']; catchUpMaxAgeMs: number },
	{ owed, truncatedSince }: OwedTicks,
	o: { now: number; paused: boolean; why: string; /** The latest owed tick already runs (claimed as a regular tick). */ latestTaken?: boolean }
): CatchUpPlan {
	const plan: CatchUpPlan = { missed: [], queued: [] };
	const oldest = owed[owed.length - 1];
	const cutoff = o.now - job.catchUpMaxAgeMs;
	owed.forEach((t, i) => {
		const scheduledFor = new Date(t);
		if (o.paused) {
			plan.missed.push({ jobKey: job.key, scheduledFor, status: 'skipped', note: 'scheduler paused' });
			return;
		}
		const note =
			truncatedSince !== null && t === oldest
				? `${o.why}; earlier ticks since ${new Date(truncatedSince).toISOString()} were missed too`
				: o.why;
		if (t < cutoff) plan.missed.push({ jobKey: job.key, scheduledFor, status: 'missed', note: `${note} (older than catch-up max age)` });
		else if (job.catchUp === 'all' || (job.catchUp === 'once' && i === 0 && !o.latestTaken)) {
			plan.queued.push({ jobKey: job.key, trigger: 'catch_up', scheduledFor, runAt: new Date(o.now), triggeredBy: 'catch-up' });
		} else plan.missed.push({ jobKey: job.key, scheduledFor, status: 'missed', note: `${note} (catch-up: ${job.catchUp})` });
	});
	return plan;
}

export class CatchUp {
	constructor(
		private readonly engine: Engine,
		private readonly jobs: ArmedJobs,
		private readonly deps: { paused: () => boolean; onQueued: () => void }
	) {}

	/**
	 * After downtime (boot, a frozen process): ticks owed since each job's latest recorded tick
	 * (or since it was created, enabled or rescheduled). With `claimLatest` (POST /api/cron/run)
	 * each job's latest owed tick is returned, to be claimed as a regular tick; with
	 * `claimWithinMs` (boot) only when it is that recent (a tick that fell due while booting).
	 */
	async afterDowntime(now: number, o: { only?: string[]; claimLatest?: boolean; claimWithinMs?: number } = {}): Promise<Tick[]> {
		const candidates = [...this.jobs.values()].filter((a) => this.jobs.schedulable(a) && (!o.only || o.only.includes(a.job.key)));
		if (!candidates.length) return [];
		const since = await ledger.owedSince(this.engine.sql, candidates.map((a) => a.job.key));
		const plans: CatchUpPlan[] = [];
		const latest: Tick[] = [];
		for (const a of candidates) {
			const from = since.get(a.job.key);
			if (from === undefined || !a.schedule) continue;
			const owed = owedTicks(a.schedule, from, now);
			const recent = o.claimWithinMs !== undefined && owed.owed.length > 0 && now - owed.owed[0]! <= o.claimWithinMs;
			const latestTaken = (!!o.claimLatest || recent) && owed.owed.length > 0;
			if (latestTaken) latest.push({ jobKey: a.job.key, scheduledFor: new Date(owed.owed.shift()!), overlap: a.job.overlap });
			plans.push(planCatchUp(a.job, owed, { now, paused: this.deps.paused(), why: 'missed while no instance was running', latestTaken }));
		}
		await this.apply(plans);
		return latest;
	}

	/** Ticks whose claims failed until they were late (the database did not answer in time). */
	async forTicks(byJob: Map<Armed, OwedTicks>, now: number): Promise<void> {
		const plans = [...byJob].map(([a, owed]) =>
			planCatchUp(a.job, owed, { now, paused: this.deps.paused(), why: 'missed while the database did not answer' })
		);
		await this.apply(plans);
	}

	private async apply(plans: CatchUpPlan[]): Promise<void> {
		const missed = plans.flatMap((p) => p.missed);
		const queued = plans.flatMap((p) => p.queued);
		const { sql, log } = this.engine;
		if (missed.length) {
			const rows = await ledger.recordUnrun(sql, missed);
			ticksTotal.inc({ outcome: 'missed' }, rows.filter((r) => r.status === 'missed').length);
			ticksTotal.inc({ outcome: 'skipped' }, rows.filter((r) => r.status === 'skipped').length);
			if (rows.length) await recordLatest(sql, rows);
		}
		if (queued.length) {
			const rows = await ledger.enqueue(sql, queued);
			ticksTotal.inc({ outcome: 'caught_up' }, rows.length);
			if (rows.length) {
				log.info({ runs: rows.length }, 'queued catch-up runs');
				this.deps.onQueued();
			}
		}
	}
}
