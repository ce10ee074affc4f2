/**
 * CronJobService: what the REST API, the CLI and the admin pages call. It validates, writes
 * the row, audits, and signals every instance; the scheduler does the rest.
 */
import type { Sql } from 'postgres';
import type { z } from 'zod';
import {
	createJobSchema,
	executionQuerySchema,
	previewQuerySchema,
	runDueQuerySchema,
	updateJobSchema
} from '../../schemas/cron';
import { normalizeRules, type AlertRules } from '../../schemas/alerts';
import { assertChannelsExist } from '../alerts/channels';
import { audit } from '../audit';
import type { Db } from '../db';
import type { CronJob, CronJobExecution, JobSettings } from '../db/schema';
import { isValidTimeZone } from '../config';
import { fieldError, invalid, notFound, ServiceError } from '../errors';
import { drift, findJob, listJobs, settingsOf, ticksRestart } from './jobs';
import * as ledger from './ledger';
import { notify } from './notify';
import { compileSchedule, describe, nextRun, preview, ScheduleError } from './schedule';
import type { RunDueResult, Scheduler } from './scheduler';
import { loadSettings, settingsSchema, updateSettings, type Settings } from './settings';
import { POLICY_DEFAULTS, type RegisteredJob, type RegisteredType } from './types';

export type JobState = 'idle' | 'running' | 'paused' | 'failing' | 'misconfigured';

export type JobView = {
	key: string;
	name: string;
	description: string;
	source: CronJob['source'];
	type: string;
	params: Record<string, unknown>;
	schedule: string;
	scheduleDescription: string;
	/** The effective zone; `timezoneOverride` is null when it follows the default. */
	timezone: string;
	timezoneOverride: string | null;
	enabled: boolean;
	timeoutMs: number;
	maxRetries: number;
	overlap: CronJob['overlap'];
	catchUp: CronJob['catchUp'];
	catchUpMaxAgeMs: number;
	alerts: AlertRules;
	autoDisableAfter: number | null;
	state: JobState;
	configError: string | null;
	nextRunAt: string | null;
	lastRunAt: string | null;
	lastStatus: CronJob['lastStatus'];
	lastDurationMs: number | null;
	consecutiveFailures: number;
	codeDefaults: JobSettings | null;
	drift: (keyof JobSettings)[];
	createdAt: string;
	updatedAt: string;
	updatedBy: string | null;
};

export type ExecutionView = {
	id: number;
	jobKey: string;
	trigger: CronJobExecution['trigger'];
	status: CronJobExecution['status'];
	scheduledFor: string | null;
	runAt: string;
	startedAt: string | null;
	finishedAt: string | null;
	durationMs: number | null;
	attempt: number;
	retryOf: number | null;
	instanceId: string | null;
	leaseExpiresAt: string | null;
	triggeredBy: string | null;
	output: string | null;
	result: unknown;
	errorMessage: string | null;
	errorStack: string | null;
};

export type Actor = { name: string; userId?: string | null };

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function toExecutionView(e: CronJobExecution): ExecutionView {
	return {
		id: Number(e.id),
		jobKey: e.jobId,
		trigger: e.trigger,
		status: e.status,
		scheduledFor: iso(e.scheduledFor),
		runAt: e.runAt.toISOString(),
		startedAt: iso(e.startedAt),
		finishedAt: iso(e.finishedAt),
		durationMs: e.durationMs,
		attempt: e.attempt,
		retryOf: e.retryOf === null ? null : Number(e.retryOf),
		instanceId: e.instanceId,
		leaseExpiresAt: iso(e.leaseExpiresAt),
		triggeredBy: e.triggeredBy,
		output: e.output,
		result: e.result,
		errorMessage: e.errorMessage,
		errorStack: e.errorStack
	};
}

const EXECUTION_COLUMNS = `id, job_id as "jobId", trigger, scheduled_for as "scheduledFor", run_at as "runAt", attempt,
	retry_of as "retryOf", status, exclusive, started_at as "startedAt", finished_at as "finishedAt",
	duration_ms as "durationMs", instance_id as "instanceId", lease_expires_at as "leaseExpiresAt",
	triggered_by_user_id as "triggeredByUserId", triggered_by as "triggeredBy", output, result,
	error_message as "errorMessage", error_stack as "errorStack", created_at as "createdAt"`;

/**
 * compileSchedule + describe cost about half a millisecond; the list page shows every job, so
 * descriptions are memoised per (schedule, zone). A schedule with `${NAME}` is described as
 * itself: descriptions never read the environment.
 */
const descriptions = new Map<string, string>();
const DESCRIPTIONS_MAX = 4096;

export function describeSchedule(schedule: string, zone: string): string {
	const key = `${zone}\u0000${schedule}`;
	let d = descriptions.get(key);
	if (d === undefined) {
		try {
			d = describe(compileSchedule(schedule, zone).pattern);
		} catch {
			d = schedule; // misconfigured or read from the environment: shown as written
		}
		if (descriptions.size >= DESCRIPTIONS_MAX) descriptions.delete(descriptions.keys().next().value!);
		descriptions.set(key, d);
	}
	return d;
}

/** A job's state as the list shows it (shared with the admin pages' slim list query). */
export function jobState(
	job: Pick<CronJob, 'configError' | 'enabled' | 'consecutiveFailures'>,
	running: boolean,
	paused: boolean
): JobState {
	if (job.configError) return 'misconfigured';
	if (running) return 'running';
	if (!job.enabled || paused) return 'paused';
	return job.consecutiveFailures > 0 ? 'failing' : 'idle';
}

export type CronServiceDeps = {
	sql: Sql;
	db: Db;
	/** CRON_TIMEZONE */
	defaultTimezone: string;
	definitions: RegisteredJob[];
	types: Record<string, RegisteredType>;
	/** This process's scheduler (started or passive) for run-now and POST /api/cron/run. */
	scheduler: Scheduler;
};

export class CronJobService {
	constructor(private readonly deps: CronServiceDeps) {}

	private get sql() {
		return this.deps.sql;
	}

	async settings(): Promise<Settings> {
		return loadSettings(this.sql, this.deps.defaultTimezone);
	}

	async updateSettings(patch: unknown, actor: Actor): Promise<Settings> {
		const parsed = settingsSchema.partial().strict().safeParse(patch);
		if (!parsed.success) throw invalid(parsed.error);
		const channels = parsed.data['alerts.defaultChannels'];
		if (channels) await assertChannelsExist(this.sql, channels, 'alerts.defaultChannels');
		return updateSettings(this.sql, parsed.data, actor.name, this.deps.defaultTimezone);
	}

	private view(job: CronJob, defaultZone: string, running: Set<string>, paused: boolean): JobView {
		const state = jobState(job, running.has(job.key), paused);
		const scheduleDescription = describeSchedule(job.schedule, job.timezone ?? defaultZone);
		return {
			key: job.key,
			name: job.name,
			description: job.description,
			source: job.source,
			type: job.type,
			params: this.shownParams(job),
			schedule: job.schedule,
			scheduleDescription,
			timezone: job.timezone ?? defaultZone,
			timezoneOverride: job.timezone,
			enabled: job.enabled,
			timeoutMs: job.timeoutMs,
			maxRetries: job.maxRetries,
			overlap: job.overlap,
			catchUp: job.catchUp,
			catchUpMaxAgeMs: job.catchUpMaxAgeMs,
			alerts: job.alerts,
			autoDisableAfter: job.autoDisableAfter,
			state,
			configError: job.configError,
			nextRunAt: job.enabled && !job.configError ? iso(job.nextRunAt) : null,
			lastRunAt: iso(job.lastRunAt),
			lastStatus: job.lastStatus,
			lastDurationMs: job.lastDurationMs,
			consecutiveFailures: job.consecutiveFailures,
			codeDefaults: job.codeDefaults,
			drift: drift(job),
			createdAt: job.createdAt.toISOString(),
			updatedAt: job.updatedAt.toISOString(),
			updatedBy: job.updatedBy
		};
	}

	private async runningKeys(keys?: string[]): Promise<Set<string>> {
		const rows = keys
			? await this.sql<{ jobId: string }[]>`select distinct job_id as "jobId" from cron_job_execution where status = 'running' and job_id = any(${keys})`
			: await this.sql<{ jobId: string }[]>`select distinct job_id as "jobId" from cron_job_execution where status = 'running'`;
		return new Set(rows.map((r) => r.jobId));
	}

	/** Every job with its denormalised state: a fixed number of queries, whatever the count. */
	async listJobs(): Promise<JobView[]> {
		const [jobs, running, settings] = await Promise.all([listJobs(this.deps.db), this.runningKeys(), this.settings()]);
		return jobs.map((j) => this.view(j, settings['scheduler.defaultTimezone'], running, settings['scheduler.paused']));
	}

	private async requireJob(key: string): Promise<CronJob> {
		const job = await findJob(this.deps.db, key);
		if (!job) throw notFound(`job "${key}"`);
		return job;
	}

	async getJob(key: string): Promise<JobView> {
		const job = await this.requireJob(key);
		const [running, settings] = await Promise.all([this.runningKeys([key]), this.settings()]);
		return this.view(job, settings['scheduler.defaultTimezone'], running, settings['scheduler.paused']);
	}

	/** A submitted schedule's next run; its faults are 400s naming `schedule` or `timezone`. */
	private validateSchedule(schedule: string, zone: string): Date | null {
		try {
			return nextRun(compileSchedule(schedule, zone), new Date());
		} catch (err) {
			if (err instanceof ScheduleError) throw fieldError(err.field === 'timezone' ? 'timezone' : 'schedule', err.message);
			throw err;
		}
	}

	/**
	 * The schedule an update leaves in place (the stored one, or the code default) is accepted
	 * unchanged: it may hold `${NAME}`, which only the scheduler reads. Its next run is then
	 * left to the scheduler when it cannot be computed here.
	 */
	private keptScheduleNextRun(schedule: string, zone: string): Date | null {
		if (!isValidTimeZone(zone)) throw fieldError('timezone', `unknown time zone "${zone}"`);
		try {
			return nextRun(compileSchedule(schedule, zone), new Date());
		} catch (err) {
			if (err instanceof ScheduleError) return null;
			throw err;
		}
	}

	/** A UI job's registered type (own keys only: `constructor` or `__proto__` find nothing). */
	private typeOf(type: string): RegisteredType | undefined {
		return Object.hasOwn(this.deps.types, type) ? this.deps.types[type] : undefined;
	}

	/** Submitted params as stored: validated, and for types with secrets, sealed (masked ones kept from `previous`). */
	private validateParams(type: string, params: unknown, previous: Record<string, unknown> | null = null): Record<string, unknown> {
		const jobType = this.typeOf(type);
		if (!jobType) throw fieldError('type', `must be one of ${Object.keys(this.deps.types).join(', ')}`);
		if (jobType.store) return jobType.store(params, previous);
		const parsed = jobType.params.safeParse(params);
		if (!parsed.success) throw invalid(parsed.error, 'params');
		return parsed.data;
	}

	/** Params as they may leave the process: a type's secrets masked. */
	private shownParams(job: Pick<CronJob, 'source' | 'type' | 'params'>): Record<string, unknown> {
		const view = job.source === 'ui' ? this.typeOf(job.type)?.view : undefined;
		return view ? view(job.params) : job.params;
	}

	async createJob(input: unknown, actor: Actor): Promise<JobView> {
		const parsed = createJobSchema.safeParse(input);
		if (!parsed.success) throw invalid(parsed.error);
		const j = parsed.data;
		const params = this.validateParams(j.type, j.params);
		if (j.alerts?.channels) await assertChannelsExist(this.sql, j.alerts.channels, 'alerts.channels');
		const settings = await this.settings();
		const next = this.validateSchedule(j.schedule, j.timezone ?? settings['scheduler.defaultTimezone']);
		const row = {
			key: j.key,
			name: j.name,
			description: j.description,
			source: 'ui' as const,
			type: j.type,
			params,
			schedule: j.schedule,
			timezone: j.timezone ?? null,
			enabled: j.enabled,
			timeoutMs: j.timeoutMs ?? POLICY_DEFAULTS.timeoutMs,
			maxRetries: j.maxRetries ?? POLICY_DEFAULTS.maxRetries,
			overlap: j.overlap ?? POLICY_DEFAULTS.overlap,
			catchUp: j.catchUp ?? POLICY_DEFAULTS.catchUp,
			catchUpMaxAgeMs: j.catchUpMaxAgeMs ?? POLICY_DEFAULTS.catchUpMaxAgeMs,
			alerts: j.alerts ?? normalizeRules(),
			autoDisableAfter: j.autoDisableAfter ?? null
		};
		await this.sql.begin(async (tx) => {
			const inserted = await tx`
				insert into cron_job (key, name, description, source, type, params, schedule, timezone, enabled, timeout_ms,
					max_retries, overlap, catch_up, catch_up_max_age_ms, alerts, auto_disable_after, next_run_at, created_by, updated_by)
				values (${row.key}, ${row.name}, ${row.description}, 'ui', ${row.type}, ${tx.json(row.params as never)}, ${row.schedule},
					${row.timezone}, ${row.enabled}, ${row.timeoutMs}, ${row.maxRetries}, ${row.overlap}, ${row.catchUp},
					${row.catchUpMaxAgeMs}, ${tx.json(row.alerts as never)}, ${row.autoDisableAfter}, ${row.enabled ? next : null},
					${actor.name}, ${actor.name})
				on conflict (key) do nothing
				returning key`;
			if (!inserted.length) throw new ServiceError(409, 'conflict', `a job with key "${row.key}" already exists`, [{ path: 'key', message: 'already exists' }]);
			await audit(tx, { actor: actor.name, action: 'job.create', entity: 'cron_job', entityId: row.key, after: { ...row, params: this.shownParams(row) } });
			await notify(tx, { t: 'job', key: row.key });
		});
		return this.getJob(row.key);
	}

	async updateJob(key: string, patch: unknown, actor: Actor): Promise<JobView> {
		const parsed = updateJobSchema.safeParse(patch);
		if (!parsed.success) throw invalid(parsed.error);
		return this.applyUpdate(key, parsed.data, actor, 'job.update');
	}

	private async applyUpdate(
		key: string,
		p: z.infer<typeof updateJobSchema>,
		actor: Actor,
		action: string
	): Promise<JobView> {
		const job = await this.requireJob(key);
		const settings = await this.settings();
		const before = { ...settingsOf(job), name: job.name, description: job.description, params: this.shownParams(job) };
		let params = job.params;
		if (p.params !== undefined) {
			if (job.source === 'code') {
				const def = this.deps.definitions.find((d) => d.key === key);
				if (!def?.params) throw fieldError('params', 'this job takes no params');
				const r = def.params.safeParse(p.params);
				if (!r.success) throw invalid(r.error, 'params');
				params = r.data;
			} else params = this.validateParams(job.type, p.params, job.params);
		}
		if (p.alerts?.channels) await assertChannelsExist(this.sql, p.alerts.channels, 'alerts.channels');
		const after = {
			schedule: p.schedule ?? job.schedule,
			timezone: p.timezone === undefined ? job.timezone : p.timezone,
			enabled: p.enabled ?? job.enabled,
			timeoutMs: p.timeoutMs ?? job.timeoutMs,
			maxRetries: p.maxRetries ?? job.maxRetries,
			overlap: p.overlap ?? job.overlap,
			catchUp: p.catchUp ?? job.catchUp,
			catchUpMaxAgeMs: p.catchUpMaxAgeMs ?? job.catchUpMaxAgeMs,
			alerts: p.alerts ?? job.alerts,
			autoDisableAfter: p.autoDisableAfter === undefined ? job.autoDisableAfter : p.autoDisableAfter,
			name: p.name ?? job.name,
			description: p.description ?? job.description,
			params
		};
		const zone = after.timezone ?? settings['scheduler.defaultTimezone'];
		const kept = after.schedule === job.schedule || after.schedule === job.codeDefaults?.schedule;
		const next = kept ? this.keptScheduleNextRun(after.schedule, zone) : this.validateSchedule(after.schedule, zone);
		const restart = ticksRestart(settingsOf(job), after);
		await this.sql.begin(async (tx) => {
			await tx`
				update cron_job set name = ${after.name}, description = ${after.description}, params = ${tx.json(after.params as never)},
					schedule = ${after.schedule}, timezone = ${after.timezone}, enabled = ${after.enabled}, timeout_ms = ${after.timeoutMs},
					max_retries = ${after.maxRetries}, overlap = ${after.overlap}, catch_up = ${after.catchUp},
					catch_up_max_age_ms = ${after.catchUpMaxAgeMs},
					alerts = ${tx.json(after.alerts as never)}, auto_disable_after = ${after.autoDisableAfter},
					config_error = case when config_error = 'no handler registered in code' then config_error else null end,
					ticks_owed_since = case when ${restart} then now() else ticks_owed_since end,
					next_run_at = case when ${restart} then ${after.enabled ? next : null}::timestamptz else next_run_at end,
					updated_at = now(), updated_by = ${actor.name}
				where key = ${key}`;
			await audit(tx, { actor: actor.name, action, entity: 'cron_job', entityId: key, before, after: { ...after, params: this.shownParams({ ...job, params: after.params }) } });
			await notify(tx, { t: 'job', key });
		});
		return this.getJob(key);
	}

	setEnabled(key: string, enabled: boolean, actor: Actor): Promise<JobView> {
		return this.applyUpdate(key, { enabled }, actor, enabled ? 'job.enable' : 'job.disable');
	}

	async resetToCodeDefault(key: string, actor: Actor): Promise<JobView> {
		const job = await this.requireJob(key);
		if (!job.codeDefaults) throw new ServiceError(409, 'conflict', `job "${key}" is not declared in code`);
		return this.applyUpdate(key, { ...job.codeDefaults }, actor, 'job.reset');
	}

	async deleteJob(key: string, actor: Actor): Promise<void> {
		const job = await this.requireJob(key);
		if (job.source === 'code') {
			throw new ServiceError(409, 'conflict', `job "${key}" is declared in code and cannot be deleted; disable it instead`);
		}
		await this.sql.begin(async (tx) => {
			await tx`delete from cron_job where key = ${key}`;
			await audit(tx, { actor: actor.name, action: 'job.delete', entity: 'cron_job', entityId: key, before: { ...settingsOf(job), name: job.name, params: this.shownParams(job) } });
			await notify(tx, { t: 'job', key });
		});
	}

	/** Run now (SPEC §4.2): a durable `queued` row any worker picks up. */
	async trigger(key: string, trigger: 'manual' | 'api', actor: Actor): Promise<{ id: number; status: 'queued' }> {
		await this.requireJob(key);
		const [run] = await ledger.enqueue(this.sql, [{ jobId: key, trigger, triggeredBy: actor.name, triggeredByUserId: actor.userId ?? null }]);
		await notify(this.sql, { t: 'queue' });
		this.deps.scheduler.wakeQueue();
		return { id: Number(run!.id), status: 'queued' };
	}

	/** Keyset pagination on (job_id, id desc), (status, id desc) or the primary key: as fast on page 1,000 as on page 1. */
	async listExecutions(
		filter: { jobKey?: string },
		query: unknown
	): Promise<{ executions: ExecutionView[]; nextCursor: number | null }> {
		const parsed = executionQuerySchema.safeParse(query);
		if (!parsed.success) throw invalid(parsed.error);
		const q = parsed.data;
		if (filter.jobKey) await this.requireJob(filter.jobKey);
		const sql = this.sql;
		const rows = await sql<CronJobExecution[]>`
			select ${sql.unsafe(EXECUTION_COLUMNS)} from cron_job_execution
			where true
				${filter.jobKey ? sql`and job_id = ${filter.jobKey}` : sql``}
				${q.status ? sql`and status = ${q.status}` : sql``}
				${q.trigger ? sql`and trigger = ${q.trigger}` : sql``}
				${q.cursor ? sql`and id < ${q.cursor}` : sql``}
			order by id ${ledger.historyOrder(sql, { job: filter.jobKey, status: q.status })}
			limit ${q.limit + 1}`;
		const more = rows.length > q.limit;
		const page = rows.slice(0, q.limit);
		return { executions: page.map(toExecutionView), nextCursor: more ? Number(page[page.length - 1]!.id) : null };
	}

	async getExecution(id: number): Promise<ExecutionView> {
		const [row] = await this.sql<CronJobExecution[]>`select ${this.sql.unsafe(EXECUTION_COLUMNS)} from cron_job_execution where id = ${id}`;
		if (!row) throw notFound(`execution ${id}`);
		return toExecutionView(row);
	}

	async cancelExecution(id: number, actor: Actor): Promise<ExecutionView> {
		const run = await this.getExecution(id);
		if (run.status !== 'queued' && run.status !== 'running') {
			throw new ServiceError(409, 'conflict', `execution ${id} is already ${run.status}`);
		}
		const done = await ledger.cancelRun(this.sql, id, actor.name);
		if (!done) throw new ServiceError(409, 'conflict', `execution ${id} finished before it could be cancelled`);
		await audit(this.sql, { actor: actor.name, action: 'execution.cancel', entity: 'cron_job_execution', entityId: String(id), before: { status: run.status } });
		await notify(this.sql, { t: 'cancel', ids: [id] });
		return this.getExecution(id);
	}

	async runDue(query: unknown): Promise<RunDueResult> {
		const parsed = runDueQuerySchema.safeParse(query);
		if (!parsed.success) throw invalid(parsed.error);
		return this.deps.scheduler.runDue(parsed.data.budgetMs);
	}

	/**
	 * `{valid, description, nextRuns}` of a submitted schedule, never read with the environment.
	 * With `job`, the schedule that job would keep unchanged (its stored value or code default)
	 * is described as coming from the environment when it holds `${NAME}`: its runs are the
	 * scheduler's business (shown as the job's next run), not the preview's.
	 */
	async preview(query: unknown) {
		const parsed = previewQuerySchema.safeParse(query);
		if (!parsed.success) throw invalid(parsed.error);
		const q = parsed.data;
		const zone = q.tz ?? (await this.settings())['scheduler.defaultTimezone'];
		if (q.job && q.expr.includes('$')) {
			const job = await findJob(this.deps.db, q.job);
			const expr = q.expr.trim();
			if (job && (expr === job.schedule || expr === job.codeDefaults?.schedule)) {
				return { valid: true as const, description: `${expr}, read from the environment by the scheduler`, pattern: expr, timezone: zone, nextRuns: [] };
			}
		}
		const p = preview(q.expr, zone, q.count, q.from ? new Date(q.from) : new Date());
		return p.valid
			? { valid: true as const, description: p.description, pattern: p.pattern, timezone: p.timezone, nextRuns: p.nextRuns }
			: { valid: false as const, error: p.error, field: p.field };
	}
}
