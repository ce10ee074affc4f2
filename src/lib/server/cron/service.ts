/**
 * CronJobService: what the REST API, the CLI and the admin pages call. It validates, writes
 * the row, audits, and signals every instance; the scheduler does the rest. Reads go through
 * job-view.ts (how a job is shown) and executions.ts (history).
 */
import type { z } from 'zod';
import { bulkKeysSchema, createJobSchema, executionQuerySchema, outputQuerySchema, previewQuerySchema, runDueQuerySchema, updateJobSchema } from '../../schemas/cron';
import { normalizeRules } from '../../schemas/alerts';
import { assertChannelsExist } from '../alerts/channels';
import { audit } from '../audit';
import type { Actor } from '../audit/actor';
import { jsonValue } from '../db/json';
import { isActive, isFailed, POLICY_DEFAULTS, type CronJob, type JobState } from '../db/schema';
import { isValidTimeZone } from '../config';
import { fieldError, invalid, notFound, ServiceError } from '../errors';
import { getExecution, listExecutionViews, readExecutionOutput, type ExecutionView } from './executions';
import { countJobs, countJobsByState, countMatchingJobs, findJob, listJobs, NO_HANDLER, NO_STATE, pageJobColumns, settingsOf, ticksRestart, type JobFilter, type JobPageQuery, type StateContext } from './jobs';
import { SUMMARY_COLUMNS, toJobSummary, toJobView, type JobSummary, type JobView, type ViewContext } from './job-view';
import * as ledger from './ledger';
import { readOutput } from './output';
import { notify } from './notify';
import { compileSchedule, nextRun, preview, ScheduleError } from './schedule';
import type { RunDueResult, Scheduler, SchedulerOptions } from './scheduler';
import { loadSettings, settingsSchema, updateSettings, type Settings } from './settings';
import type { RegisteredType } from './types';

/** What the scheduler is given too (its pool, the default zone, the code jobs and job types, the environment), and the scheduler. */
export type CronServiceDeps = Pick<SchedulerOptions, 'sql' | 'db' | 'defaultTimezone' | 'definitions' | 'types' | 'env'> & {
	/** This process's scheduler (started or passive) for run-now and POST /api/cron/run. */
	scheduler: Scheduler;
};

/** One page of the admin list: the summaries, how many jobs the filters keep, and how many there are. */
export type JobPage = { jobs: JobSummary[]; matching: number; total: number };

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

	/**
	 * Job rows as views (`toView`), with what every view needs read once for all of them, in
	 * parallel with the rows: the settings and the running jobs (`only`: of one job).
	 */
	private async views<R, V>(rows: Promise<R[]>, toView: (row: R, ctx: ViewContext) => V, only?: string): Promise<V[]> {
		const [jobs, running, settings] = await Promise.all([rows, this.runningKeys(only), this.settings()]);
		const ctx = this.viewContext(settings, running);
		return jobs.map((j) => toView(j, ctx));
	}

	private viewContext(settings: Settings, running: ReadonlySet<string>): ViewContext {
		return {
			defaultZone: settings['scheduler.defaultTimezone'],
			paused: settings['scheduler.paused'],
			running,
			now: new Date(),
			env: this.deps.env,
			shownParams: (job) => this.shownParams(job)
		};
	}

	/** Keys of the jobs with a running run (or of `only`, if it has one), on the partial index of running runs. */
	private async runningKeys(only?: string): Promise<Set<string>> {
		const rows = await this.sql<{ jobKey: string }[]>`
			select distinct job_id as "jobKey" from cron_job_execution
			where status = 'running' ${only === undefined ? this.sql`` : this.sql`and job_id = ${only}`}`;
		return new Set(rows.map((r) => r.jobKey));
	}

	/** Every job as a view (the API and the CLI): a fixed number of queries whatever the count. */
	async listJobs(filter: JobFilter = {}): Promise<JobView[]> {
		return this.views(listJobs(this.deps.db, filter), toJobView);
	}

	/**
	 * One page of the job list as summaries (the admin list, at any number of jobs): search,
	 * source, state, sort and the page are applied in SQL, and only the columns a list shows are
	 * read. The number of jobs is one row (`countJobs`); the jobs the filters keep are counted
	 * only when there are filters (without, they are every job) and the page is full (else the
	 * page ends the list: a search for one key runs its search once). A state filter needs the
	 * running jobs and the pause first (two round trips); without one the page, the running jobs
	 * and the number of jobs are read at once.
	 */
	async listJobPage(query: JobPageQuery): Promise<JobPage> {
		const context = Promise.all([this.runningKeys(), this.settings()]);
		const filtered = query.q !== undefined || query.source !== undefined || query.state !== undefined;
		const stateContext: Promise<StateContext> =
			query.state === undefined ? Promise.resolve(NO_STATE) : context.then(([running, settings]) => ({ running: [...running], paused: settings['scheduler.paused'] }));
		const page = stateContext.then((ctx) => pageJobColumns(this.deps.db, SUMMARY_COLUMNS, query, ctx));
		const counted = async (ctx: StateContext, rows: unknown[]) =>
			rows.length < query.limit && (rows.length > 0 || query.offset === 0) ? query.offset + rows.length : countMatchingJobs(this.deps.db, query, ctx);
		const [[running, settings], rows, matching, total] = await Promise.all([
			context,
			page,
			filtered ? Promise.all([stateContext, page]).then(([ctx, rows]) => counted(ctx, rows)) : null,
			countJobs(this.sql)
		]);
		const view = this.viewContext(settings, running);
		return { jobs: rows.map((row) => toJobSummary(row, view)), matching: matching ?? total, total };
	}

	/** How many jobs are in each state (the overview). */
	async jobStateCounts(): Promise<Record<JobState, number>> {
		const [running, settings] = await Promise.all([this.runningKeys(), this.settings()]);
		return countJobsByState(this.sql, { running: [...running], paused: settings['scheduler.paused'] });
	}

	private async requireJob(key: string): Promise<CronJob> {
		const job = await findJob(this.deps.db, key);
		if (!job) throw notFound(`job "${key}"`);
		return job;
	}

	async getJob(key: string): Promise<JobView> {
		const [view] = await this.views(this.requireJob(key).then((job) => [job]), toJobView, key);
		return view!;
	}

	/** The types jobs created in the UI or the API can have here (the job form's choices): a disabled type is not offered. */
	typeNames(): string[] {
		return Object.entries(this.deps.types)
			.filter(([, t]) => !t.disabled)
			.map(([name]) => name);
	}

	/**
	 * A schedule's next run; its faults are 400s naming `schedule` or `timezone`. A schedule an
	 * update leaves in place (`kept`: the stored one, or the code default) is accepted as it is:
	 * it may hold `${NAME}`, which only the scheduler reads, and its next run is then left to
	 * the scheduler (null).
	 */
	private nextRunOfSubmitted(schedule: string, zone: string, kept: boolean): Date | null {
		if (kept && !isValidTimeZone(zone)) throw fieldError('timezone', `unknown time zone "${zone}"`);
		try {
			return nextRun(compileSchedule(schedule, zone), new Date());
		} catch (err) {
			if (!(err instanceof ScheduleError)) throw err;
			if (kept) return null;
			throw fieldError(err.field === 'timezone' ? 'timezone' : 'schedule', err.message);
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
		// A type this server does not run (command jobs with COMMAND_JOBS off) cannot be created.
		const disabled = this.typeOf(j.type)?.disabled;
		if (disabled) throw fieldError('type', `${disabled} (COMMAND_JOBS=off)`);
		const params = this.validateParams(j.type, j.params);
		if (j.alerts?.channels) await assertChannelsExist(this.sql, j.alerts.channels, 'alerts.channels');
		const settings = await this.settings();
		const next = this.nextRunOfSubmitted(j.schedule, j.timezone ?? settings['scheduler.defaultTimezone'], false);
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
				values (${row.key}, ${row.name}, ${row.description}, 'ui', ${row.type}, ${tx.json(jsonValue(row.params))}, ${row.schedule},
					${row.timezone}, ${row.enabled}, ${row.timeoutMs}, ${row.maxRetries}, ${row.overlap}, ${row.catchUp},
					${row.catchUpMaxAgeMs}, ${tx.json(jsonValue(row.alerts))}, ${row.autoDisableAfter}, ${row.enabled ? next : null},
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
		const next = this.nextRunOfSubmitted(after.schedule, zone, kept);
		const restart = ticksRestart(settingsOf(job), after);
		await this.sql.begin(async (tx) => {
			await tx`
				update cron_job set name = ${after.name}, description = ${after.description}, params = ${tx.json(jsonValue(after.params))},
					schedule = ${after.schedule}, timezone = ${after.timezone}, enabled = ${after.enabled}, timeout_ms = ${after.timeoutMs},
					max_retries = ${after.maxRetries}, overlap = ${after.overlap}, catch_up = ${after.catchUp},
					catch_up_max_age_ms = ${after.catchUpMaxAgeMs},
					alerts = ${tx.json(jsonValue(after.alerts))}, auto_disable_after = ${after.autoDisableAfter},
					config_error = case when config_error = ${NO_HANDLER} then config_error else null end,
					ticks_owed_since = case when ${restart} then now() else ticks_owed_since end,
					next_run_at = case when ${restart} then ${after.enabled ? next : null}::timestamptz else next_run_at end,
					updated_at = now(), updated_by = ${actor.name}
				where key = ${key}`;
			await audit(tx, { actor: actor.name, action, entity: 'cron_job', entityId: key, before, after: { ...after, params: this.shownParams({ ...job, params: after.params }) } });
			await notify(tx, { t: 'job', key });
		});
		// This process's scheduler sees the edit at once (others by the NOTIFY): a run
		// triggered right after it, claimed here before the NOTIFY arrives, uses the new params.
		await this.deps.scheduler.jobEdited(key);
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

	/** Run now: a durable `queued` row any worker picks up. */
	async trigger(key: string, trigger: 'manual' | 'api', actor: Actor): Promise<{ id: number; status: 'queued' }> {
		await this.requireJob(key);
		const [run] = await ledger.enqueue(this.sql, [{ jobKey: key, trigger, triggeredBy: actor.name, triggeredByUserId: actor.userId ?? null }]);
		await notify(this.sql, { t: 'queue' });
		this.deps.scheduler.wakeQueue();
		return { id: run!.id, status: 'queued' };
	}

	/** Run now for several jobs at once (the list's bulk action): one statement, every key must exist. */
	async triggerMany(keys: unknown, actor: Actor): Promise<{ id: number; jobKey: string }[]> {
		const wanted = this.bulkKeys(keys);
		await this.requireJobs(wanted);
		const runs = await ledger.enqueue(
			this.sql,
			wanted.map((jobKey) => ({ jobKey, trigger: 'manual' as const, triggeredBy: actor.name, triggeredByUserId: actor.userId ?? null }))
		);
		await notify(this.sql, { t: 'queue' });
		this.deps.scheduler.wakeQueue();
		return runs.map((r) => ({ id: r.id, jobKey: r.jobKey }));
	}

	/** Enable or disable several jobs (the list's bulk action); each change is audited like one. Returns the jobs that changed. */
	async setEnabledMany(keys: unknown, enabled: boolean, actor: Actor): Promise<string[]> {
		const wanted = this.bulkKeys(keys);
		const jobs = await this.requireJobs(wanted);
		const changed = jobs.filter((j) => j.enabled !== enabled).map((j) => j.key);
		for (const key of changed) await this.setEnabled(key, enabled, actor);
		return changed;
	}

	private bulkKeys(keys: unknown): string[] {
		const parsed = bulkKeysSchema.safeParse(keys);
		if (!parsed.success) throw invalid(parsed.error, 'keys');
		return [...new Set(parsed.data)];
	}

	/** The rows of `keys`, or a 404 naming those that do not exist. */
	private async requireJobs(keys: string[]): Promise<Pick<CronJob, 'key' | 'enabled'>[]> {
		const rows = await this.sql<Pick<CronJob, 'key' | 'enabled'>[]>`select key, enabled from cron_job where key = any(${keys}::text[]) order by key`;
		const found = new Set(rows.map((r) => r.key));
		const missing = keys.filter((k) => !found.has(k));
		if (missing.length) throw new ServiceError(404, 'not_found', `no job ${missing.map((k) => `"${k}"`).join(', ')}`, [{ path: 'keys', message: `unknown: ${missing.join(', ')}` }]);
		return rows;
	}

	/**
	 * Retry of a failed run (failed, timed out or interrupted): a new `manual` run, attempt 1
	 * with the job's whole retry budget, whose `retry_of` is the failed run.
	 */
	async retryExecution(id: number, actor: Actor): Promise<{ id: number; jobKey: string; status: 'queued'; retryOf: number }> {
		const run = await this.getExecution(id);
		if (!isFailed(run.status)) {
			throw new ServiceError(409, 'conflict', `execution ${id} is ${run.status}: only failed, timed-out or interrupted runs can be retried`);
		}
		await this.requireJob(run.jobKey);
		const [queued] = await this.sql.begin(async (tx) => {
			const rows = await ledger.enqueue(tx, [{ jobKey: run.jobKey, trigger: 'manual', triggeredBy: actor.name, triggeredByUserId: actor.userId ?? null, retryOf: id }]);
			await audit(tx, { actor: actor.name, action: 'execution.retry', entity: 'cron_job_execution', entityId: String(rows[0]!.id), after: { retryOf: id, jobKey: run.jobKey } });
			await notify(tx, { t: 'queue' });
			return rows;
		});
		this.deps.scheduler.wakeQueue();
		return { id: queued!.id, jobKey: run.jobKey, status: 'queued', retryOf: id };
	}

	/** The API's history pages: keyset pages on the history indexes (executions.ts), always full. */
	async listExecutions(filter: { jobKey?: string }, query: unknown): Promise<{ executions: ExecutionView[]; nextCursor: number | null }> {
		const parsed = executionQuerySchema.safeParse(query);
		if (!parsed.success) throw invalid(parsed.error);
		const q = parsed.data;
		if (filter.jobKey) await this.requireJob(filter.jobKey);
		const page = await listExecutionViews(
			this.sql,
			{ job: filter.jobKey, status: q.status, trigger: q.trigger },
			{ before: q.cursor },
			{ limit: q.limit, budget: null }
		);
		return { executions: page.executions, nextCursor: page.older };
	}

	async getExecution(id: number): Promise<ExecutionView> {
		const run = await getExecution(this.sql, id);
		if (!run) throw notFound(`execution ${id}`);
		return run;
	}

	/**
	 * The output of a run from byte `offset` of what it produced (live while it runs): a reader
	 * whose offset falls in the part left out gets the marker and continues at the kept tail.
	 */
	async executionOutput(id: number, query: unknown): Promise<{ output: string; offset: number; done: boolean }> {
		const parsed = outputQuerySchema.safeParse(query);
		if (!parsed.success) throw invalid(parsed.error);
		const row = await readExecutionOutput(this.sql, id);
		if (!row) throw notFound(`execution ${id}`);
		const { output, next } = readOutput(row, parsed.data.offset);
		return { output, offset: next, done: !isActive(row.status) };
	}

	async cancelExecution(id: number, actor: Actor): Promise<ExecutionView> {
		const run = await this.getExecution(id);
		if (!isActive(run.status)) {
			throw new ServiceError(409, 'conflict', `execution ${id} is already ${run.status}`);
		}
		const done = await ledger.cancelExecution(this.sql, id, actor.name);
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
