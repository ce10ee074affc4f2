/**
 * The loads of the cron pages as plain functions of their dependencies (the cron service and
 * the pool): the routes call them with `event.locals.services`, bench/admin-pages.ts with its
 * own, so the benchmark measures exactly what a page costs. Every read goes through the one
 * read path of its table: jobs through `CronJobService.listJobs`/`getJob`, history through
 * cron/executions.ts.
 */
import type { Sql } from 'postgres';
import { executionFilterQuerySchema, JOB_PAGE_SIZE, jobListQuerySchema, MAX_JOB_PAGE } from '../../schemas/cron';
import type { CronJobService } from '../cron/service';
import { listExecutions, retryChain, type Cursor, type ExecutionFilter } from '../cron/executions';
import type { JobSummary } from '../cron/job-view';
import { queryObject } from '../forms';
import { jobStats, recentRuns, SUCCESS_WINDOW, type SuccessRate } from './stats';
import { wallTimeToInstant } from './zoned';

export type PageDeps = { cron: CronJobService; sql: Sql };

/** One row of the list: the job's summary (no params, which may hold secrets) and its recent success. */
export type JobRow = JobSummary & { success: SuccessRate | null };

/**
 * /admin/cron: one page of the jobs the filters keep (search, state, source, sort in SQL), each
 * with its success over its latest runs. A fixed number of queries, each
 * bounded by the page, whatever the number of jobs.
 */
export async function cronListPage(deps: PageDeps, params: URLSearchParams) {
	const query = jobListQuerySchema.parse(queryObject(params));
	const page = await deps.cron.listJobPage({
		q: query.q || undefined,
		source: query.source,
		state: query.state,
		sort: query.sort,
		offset: (query.page - 1) * JOB_PAGE_SIZE,
		limit: JOB_PAGE_SIZE
	});
	const recent = await recentRuns(
		deps.sql,
		page.jobs.map((j) => j.key)
	);
	return {
		jobs: page.jobs.map((j): JobRow => ({ ...j, success: recent.get(j.key) ?? null })),
		/** Jobs the filters keep, and every job whatever the filters. */
		matching: page.matching,
		total: page.total,
		pages: Math.min(MAX_JOB_PAGE, Math.max(1, Math.ceil(page.matching / JOB_PAGE_SIZE))),
		pageSize: JOB_PAGE_SIZE,
		query,
		window: SUCCESS_WINDOW
	};
}

export type ParsedExecutionQuery = {
	filter: ExecutionFilter;
	cursor: Cursor;
	query: ReturnType<typeof executionFilterQuerySchema.parse>;
	errors: Partial<Record<'from' | 'to', string>>;
};

/** A history page's filters; `from`/`to` are `datetime-local` wall times in `zone`. */
export function parseExecutionQuery(params: URLSearchParams, zone: string): ParsedExecutionQuery {
	const query = executionFilterQuerySchema.parse(queryObject(params));
	const errors: ParsedExecutionQuery['errors'] = {};
	const when = (field: 'from' | 'to') => {
		const raw = query[field];
		if (!raw) return undefined;
		const at = wallTimeToInstant(raw, zone);
		if (!at) errors[field] = 'must be a date and time (YYYY-MM-DDTHH:MM)';
		return at ?? undefined;
	};
	const from = when('from');
	const to = when('to');
	if (from && to && from >= to) errors.to = 'must be after From';
	return {
		filter: { job: query.job, status: query.status, trigger: query.trigger, from, to },
		cursor: query.after !== undefined ? { after: query.after } : { before: query.before },
		query,
		errors
	};
}

/** /admin/cron/[key]: the job, its recent stats and one page of its history. */
export async function jobPage(deps: PageDeps, key: string, params: URLSearchParams) {
	const { filter, cursor, query } = parseExecutionQuery(params, 'UTC');
	const [job, stats, history, settings] = await Promise.all([
		deps.cron.getJob(key),
		jobStats(deps.sql, key),
		listExecutions(deps.sql, { job: key, status: filter.status, trigger: filter.trigger }, cursor),
		deps.cron.settings()
	]);
	// The schedule's description and next runs in the job's zone (no query: the zone is known).
	const preview = await deps.cron.preview({ expr: job.schedule, tz: job.timezone, count: 5, job: job.key });
	return {
		job,
		stats,
		history,
		preview,
		defaultZone: settings['scheduler.defaultTimezone'],
		query: { status: query.status ?? '', trigger: query.trigger ?? '' }
	};
}

/** /admin/cron/executions: every run, filtered by job, status, trigger and time. */
export async function executionsPage(deps: PageDeps, params: URLSearchParams) {
	const settings = await deps.cron.settings();
	const zone = settings['scheduler.defaultTimezone'];
	const parsed = parseExecutionQuery(params, zone);
	const hasErrors = Object.keys(parsed.errors).length > 0;
	const page = hasErrors ? null : await listExecutions(deps.sql, parsed.filter, parsed.cursor);
	return {
		page,
		zone,
		errors: parsed.errors,
		query: {
			job: parsed.query.job ?? '',
			status: parsed.query.status ?? '',
			trigger: parsed.query.trigger ?? '',
			from: parsed.query.from ?? '',
			to: parsed.query.to ?? ''
		}
	};
}

/** /admin/cron/[key]/executions/[id] */
export async function executionPage(deps: PageDeps, id: number) {
	const execution = await deps.cron.getExecution(id);
	const [job, chain] = await Promise.all([deps.cron.getJob(execution.jobKey).catch(() => null), retryChain(deps.sql, execution)]);
	return { execution, job: job ? { key: job.key, name: job.name, timezone: job.timezone, source: job.source } : null, chain };
}
