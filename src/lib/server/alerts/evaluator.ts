/**
 * The alert evaluator: turns what happened into events (docs/architecture.md, "Alerts").
 *
 * Its inputs are durable rows, written in the same transaction as what they record:
 * - `alert_inbox`: runs that reached a final status or were recorded missed (a trigger on the
 *   ledger adds them, whatever statement settled the run: outcome writer, lease reaper, catch-up);
 * - `monitor_flip` rows not yet `alerted` (monitors/ping.ts, monitors/watch.ts);
 * - deadlines it finds itself: running runs past their job's `maxDurationMs` (`slow`), jobs
 *   without a success within `noSuccessWithinMs` (`no_success`), rate-limit windows that ended
 *   with held notifications (their summary).
 *
 * A pass takes a transaction-level advisory lock (passes of all instances run one at a time, so
 * a job's runs are judged in order and every window has one writer), consumes what it finds,
 * updates each job's alert state, disables jobs past `autoDisableAfter` (audited as `system`),
 * and inserts the notifications (raise.ts), all in one transaction: an event is raised exactly
 * once, or not at all and then by the next pass. It returns when it should run next.
 */
import type { Logger } from 'pino';
import type { Sql, TransactionSql } from 'postgres';
import { normalizeRules, type AlertRules } from '../../schemas/alerts';
import type { MonitorStoredStatus } from '../../names';
import { autoDisableJobs } from '../cron/jobs';
import type { ExecutionStatus } from '../db/schema';
import { jobEvent, monitorEvent, type JobRef, type RunRef } from './messages';
import { nextWindowEnd, raise, summarizeEndedWindows, type RaisedEvent } from './raise';

/** The advisory lock of a pass (any 64-bit number no other part of Cronkit uses). */
const PASS_LOCK = 7263541879;
/** Rows taken from each source per pass; a fuller batch asks for another pass at once. */
const BATCH = 1000;

const FAILURES: ReadonlySet<ExecutionStatus> = new Set(['failed', 'timed_out', 'interrupted']);

export type PassResult = {
	/** Another instance's pass held the lock: try again shortly. */
	busy: boolean;
	/** Notifications due for delivery that this pass created. */
	due: number;
	/** When a deadline falls (database time, ms), if any; `now` when a batch was full. */
	nextAt: number | null;
};

type InboxRun = RunRef & { jobKey: string };

type JobRow = {
	key: string;
	name: string;
	timezone: string | null;
	enabled: boolean;
	maxRetries: number;
	alerts: AlertRules;
	autoDisableAfter: number | null;
};

type State = { jobKey: string; failing: boolean; failures: number; lastSuccessAt: Date | null; noSuccessFiredFor: Date | null; dirty: boolean };

const RUN_COLUMNS = `e.id, e.job_id as "jobKey", e.status, e.trigger, e.attempt, e.scheduled_for as "scheduledFor",
	e.started_at as "startedAt", e.finished_at as "finishedAt", e.error_message as "errorMessage"`;

export type EvaluatorDeps = {
	sql: Sql;
	log: Logger;
	/** ORIGIN: the links in alerts. */
	origin: string;
	/** CRON_TIMEZONE (settings may override it): times in a job's alerts are in its zone. */
	defaultTimezone: string;
	/** The rate limit's window. */
	windowMs: number;
};

export class AlertEvaluator {
	constructor(private readonly deps: EvaluatorDeps) {}

	async pass(): Promise<PassResult> {
		return this.deps.sql.begin(async (tx) => {
			const [lock] = await tx<{ locked: boolean; now: Date }[]>`select pg_try_advisory_xact_lock(${PASS_LOCK}) as locked, now()`;
			if (!lock!.locked) return { busy: true, due: 0, nextAt: null };
			const now = lock!.now;
			const { windowMs } = this.deps;
			const settings = await this.settings(tx);
			const ctx: Ctx = { tx, now, origin: this.deps.origin, ...settings };
			let due = await summarizeEndedWindows(tx, now, windowMs);
			const events: RaisedEvent[] = [];
			const runs = await this.runs(ctx, events);
			const flips = await this.flips(ctx, events);
			const slow = await this.slowRuns(ctx, events);
			const noSuccess = await this.noSuccess(ctx, events);
			due += await raise(tx, events, now, windowMs);
			const windowEnd = await nextWindowEnd(tx);
			const full = runs >= BATCH || flips >= BATCH;
			const candidates = [slow, noSuccess, windowEnd, full ? now.getTime() : null].filter((x): x is number => x !== null);
			return { busy: false, due, nextAt: candidates.length ? Math.min(...candidates) : null };
		});
	}

	private async settings(tx: TransactionSql): Promise<{ defaults: string[]; zone: string }> {
		const rows = await tx<{ key: string; value: unknown }[]>`
			select key, value from cron_job_config where key in ('alerts.defaultChannels', 'scheduler.defaultTimezone')`;
		const get = (k: string) => rows.find((r) => r.key === k)?.value;
		const defaults = get('alerts.defaultChannels');
		const zone = get('scheduler.defaultTimezone');
		return {
			defaults: Array.isArray(defaults) ? defaults.filter((x): x is string => typeof x === 'string') : [],
			zone: typeof zone === 'string' ? zone : this.deps.defaultTimezone
		};
	}

	private jobRef(job: Pick<JobRow, 'key' | 'name' | 'timezone'>, zone: string): JobRef {
		return { key: job.key, name: job.name, timezone: job.timezone ?? zone };
	}

	/** Runs from the inbox, in the order they finished, judged against each job's rules and state. */
	private async runs(ctx: Ctx, events: RaisedEvent[]): Promise<number> {
		const { tx, now, defaults, zone } = ctx;
		const runs = await tx.unsafe<InboxRun[]>(
			`with taken as (
				delete from alert_inbox where execution_id in (select execution_id from alert_inbox order by execution_id limit $1)
				returning execution_id
			)
			select ${RUN_COLUMNS} from taken t join cron_job_execution e on e.id = t.execution_id
			order by e.finished_at, e.id`,
			[BATCH] as never
		);
		if (!runs.length) return 0;
		const keys = [...new Set(runs.map((r) => r.jobKey))];
		const jobs = new Map(
			(
				await tx<JobRow[]>`
					select key, name, timezone, enabled, max_retries as "maxRetries", alerts, auto_disable_after as "autoDisableAfter"
					from cron_job where key = any(${keys})`
			).map((j) => [j.key, { ...j, alerts: normalizeRules(j.alerts) }])
		);
		const states = await this.loadStates(tx, keys);
		const disable: { key: string; failures: number; run: InboxRun }[] = [];
		for (const run of runs) {
			const job = jobs.get(run.jobKey);
			if (!job) continue;
			const state = states.get(job.key)!;
			const rules = job.alerts;
			const channels = rules.channels ?? defaults;
			const ref = this.jobRef(job, zone);
			const base = { subject: `job:${job.key}`, channels, jobKey: job.key, executionId: run.id };
			if (run.status === 'succeeded') {
				if (state.failing && rules.onRecovery && rules.onFailure !== 'never') {
					events.push({ ...base, dedupeKey: `recovered:${run.id}`, urgent: true, payload: jobEvent(ctx.origin, ref, { event: 'recovered', run, failures: state.failures }) });
				}
				Object.assign(state, { failing: false, failures: 0, lastSuccessAt: run.finishedAt, dirty: true });
			} else if (FAILURES.has(run.status)) {
				// A retry is queued for it (settle adds one while attempts are left): not final yet.
				if (run.attempt <= job.maxRetries) continue;
				const alert = rules.onFailure === 'every' || (rules.onFailure === 'first' && !state.failing);
				Object.assign(state, { failing: true, failures: state.failures + 1, dirty: true });
				if (alert) events.push({ ...base, dedupeKey: `failed:${run.id}`, urgent: false, payload: jobEvent(ctx.origin, ref, { event: 'failed', run, maxRetries: job.maxRetries }) });
				if (job.autoDisableAfter !== null && job.enabled && state.failures >= job.autoDisableAfter) {
					disable.push({ key: job.key, failures: state.failures, run });
				}
			} else if (run.status === 'missed' && rules.onMissed) {
				events.push({ ...base, dedupeKey: `missed:${run.id}`, urgent: false, payload: jobEvent(ctx.origin, ref, { event: 'missed', run }) });
			}
		}
		const disabled = new Set(await autoDisableJobs(tx, disable.map((d) => ({ key: d.key, failures: d.failures }))));
		for (const d of disable) {
			if (!disabled.delete(d.key)) continue;
			const job = jobs.get(d.key)!;
			// A job re-enabled by an admin gets its full count of tries again.
			Object.assign(states.get(d.key)!, { failures: 0, dirty: true });
			events.push({
				subject: `job:${job.key}`,
				channels: job.alerts.channels ?? defaults,
				jobKey: job.key,
				executionId: d.run.id,
				dedupeKey: `auto_disabled:${d.run.id}`,
				urgent: true,
				payload: jobEvent(ctx.origin, this.jobRef(job, zone), { event: 'auto_disabled', run: d.run, failures: d.failures, at: now })
			});
		}
		await this.saveStates(tx, [...states.values()]);
		return runs.length;
	}

	private async loadStates(tx: TransactionSql, keys: string[]): Promise<Map<string, State>> {
		const rows = await tx<Omit<State, 'dirty'>[]>`
			select job_key as "jobKey", failing, failures, last_success_at as "lastSuccessAt", no_success_fired_for as "noSuccessFiredFor"
			from job_alert_state where job_key = any(${keys})`;
		const states = new Map(rows.map((r) => [r.jobKey, { ...r, dirty: false }]));
		for (const k of keys) if (!states.has(k)) states.set(k, { jobKey: k, failing: false, failures: 0, lastSuccessAt: null, noSuccessFiredFor: null, dirty: false });
		return states;
	}

	private async saveStates(tx: TransactionSql, states: State[]): Promise<void> {
		const dirty = states.filter((s) => s.dirty);
		if (!dirty.length) return;
		await tx.unsafe(
			`insert into job_alert_state (job_key, failing, failures, last_success_at, no_success_fired_for, updated_at)
			select u.*, now() from unnest($1::text[], $2::bool[], $3::int[], $4::timestamptz[], $5::timestamptz[])
				as u(job_key, failing, failures, last_success_at, no_success_fired_for)
			join cron_job j on j.key = u.job_key
			on conflict (job_key) do update set failing = excluded.failing, failures = excluded.failures,
				last_success_at = excluded.last_success_at, no_success_fired_for = excluded.no_success_fired_for, updated_at = now()`,
			[
				dirty.map((s) => s.jobKey),
				`{${dirty.map((s) => (s.failing ? 't' : 'f')).join(',')}}`,
				dirty.map((s) => s.failures),
				dirty.map((s) => s.lastSuccessAt?.toISOString() ?? null),
				dirty.map((s) => s.noSuccessFiredFor?.toISOString() ?? null)
			] as never
		);
	}

	/** Monitors that went down or came back: `monitor_down`, `monitor_up` (never held back). */
	private async flips(ctx: Ctx, events: RaisedEvent[]): Promise<number> {
		const { tx, defaults } = ctx;
		const flips = await tx<
			{
				id: number;
				key: string;
				name: string;
				at: Date;
				fromStatus: MonitorStoredStatus;
				toStatus: MonitorStoredStatus;
				reason: string;
				lastPingAt: Date | null;
				timezone: string | null;
				channels: string[] | null;
				downSince: Date | null;
			}[]
		>`
			with taken as (
				update monitor_flip set alerted = true
				where id in (select id from monitor_flip where not alerted order by id limit ${BATCH} for update)
				returning id, monitor_key, at, from_status, to_status, reason
			)
			select t.id, m.key, m.name, t.at, t.from_status as "fromStatus", t.to_status as "toStatus", t.reason,
				m.last_ping_at as "lastPingAt", m.timezone, m.channels,
				(select max(d.at) from monitor_flip d where d.monitor_key = t.monitor_key and d.to_status = 'down' and d.id < t.id) as "downSince"
			from taken t join monitor m on m.key = t.monitor_key
			order by t.id`;
		for (const f of flips) {
			const event = f.toStatus === 'down' ? 'monitor_down' : f.fromStatus === 'down' && f.toStatus === 'up' ? 'monitor_up' : null;
			if (!event) continue;
			const ref = { key: f.key, name: f.name, status: f.toStatus, lastPingAt: f.lastPingAt, timezone: f.timezone };
			events.push({
				dedupeKey: `${event}:${f.id}`,
				subject: `monitor:${f.key}`,
				channels: f.channels ?? defaults,
				monitorKey: f.key,
				urgent: event === 'monitor_up',
				payload: monitorEvent(ctx.origin, ref, { event, reason: f.reason, at: f.at, downSince: f.downSince })
			});
		}
		return flips.length;
	}

	/** Running runs past their job's `maxDurationMs`: `slow`, once per run. Returns the next deadline. */
	private async slowRuns(ctx: Ctx, events: RaisedEvent[]): Promise<number | null> {
		const { tx, now, defaults, zone } = ctx;
		const rows = await tx.unsafe<(InboxRun & { name: string; timezone: string | null; alerts: AlertRules; due: Date })[]>(
			`select ${RUN_COLUMNS}, j.name, j.timezone, j.alerts,
				e.started_at + make_interval(secs => (j.alerts ->> 'maxDurationMs')::float8 / 1000) as due
			from cron_job_execution e join cron_job j on j.key = e.job_id
			where e.status = 'running' and e.started_at is not null and j.alerts ? 'maxDurationMs'
				and not exists (select 1 from alert_fired f where f.key = 'slow:' || e.id)`
		);
		const due = rows.filter((r) => r.due <= now);
		if (due.length) {
			const fired = new Set(
				(
					await tx<{ key: string }[]>`
						insert into alert_fired (key) select unnest(${due.map((r) => `slow:${r.id}`)}::text[])
						on conflict do nothing returning key`
				).map((r) => r.key)
			);
			for (const r of due) {
				if (!fired.has(`slow:${r.id}`)) continue;
				const rules = normalizeRules(r.alerts);
				events.push({
					dedupeKey: `slow:${r.id}`,
					subject: `job:${r.jobKey}`,
					channels: rules.channels ?? defaults,
					jobKey: r.jobKey,
					executionId: r.id,
					urgent: false,
					payload: jobEvent(ctx.origin, this.jobRef({ key: r.jobKey, name: r.name, timezone: r.timezone }, zone), {
						event: 'slow',
						run: r,
						maxDurationMs: rules.maxDurationMs!,
						at: now
					})
				});
			}
		}
		const later = rows.filter((r) => r.due > now).map((r) => r.due.getTime());
		return later.length ? Math.min(...later) : null;
	}

	/**
	 * Enabled jobs with `noSuccessWithinMs` and no success in that long: one `no_success` per
	 * window, which starts at the latest success or the latest change of the job (created,
	 * edited, enabled). Returns the next deadline.
	 */
	private async noSuccess(ctx: Ctx, events: RaisedEvent[]): Promise<number | null> {
		const { tx, now, defaults, zone } = ctx;
		const rows = await tx<(JobRow & { since: Date; firedFor: Date | null; due: Date })[]>`
			select j.key, j.name, j.timezone, j.alerts, greatest(s.last_success_at, j.updated_at) as since,
				s.no_success_fired_for as "firedFor",
				greatest(s.last_success_at, j.updated_at) + make_interval(secs => (j.alerts ->> 'noSuccessWithinMs')::float8 / 1000) as due
			from cron_job j left join job_alert_state s on s.job_key = j.key
			where j.alerts ? 'noSuccessWithinMs' and j.enabled`;
		const waiting = rows.filter((r) => r.firedFor?.getTime() !== r.since.getTime());
		const due = waiting.filter((r) => r.due <= now);
		if (due.length) {
			const states = await this.loadStates(
				tx,
				due.map((r) => r.key)
			);
			for (const r of due) {
				const [last] = await tx.unsafe<InboxRun[]>(
					`select ${RUN_COLUMNS} from cron_job_execution e
					where e.job_id = $1 and e.status not in ('queued', 'running', 'skipped', 'cancelled')
					order by e.id desc nulls last limit 1`,
					[r.key] as never
				);
				const rules = normalizeRules(r.alerts);
				events.push({
					dedupeKey: `no_success:${r.key}:${r.since.getTime()}`,
					subject: `job:${r.key}`,
					channels: rules.channels ?? defaults,
					jobKey: r.key,
					executionId: last?.id,
					urgent: false,
					payload: jobEvent(ctx.origin, this.jobRef(r, zone), { event: 'no_success', withinMs: rules.noSuccessWithinMs!, since: r.since, last: last ?? null, at: now })
				});
				Object.assign(states.get(r.key)!, { noSuccessFiredFor: r.since, dirty: true });
			}
			await this.saveStates(tx, [...states.values()]);
		}
		const later = waiting.filter((r) => r.due > now).map((r) => r.due.getTime());
		return later.length ? Math.min(...later) : null;
	}
}

type Ctx = { tx: TransactionSql; now: Date; defaults: string[]; zone: string; origin: string };
