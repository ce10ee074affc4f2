/**
 * The loads of the cron pages as plain functions of (service, pool): the routes call them
 * with the runtime's (deps.ts), bench/admin-pages.ts with its own, so the benchmark measures
 * exactly what a page costs. (No runtime import here: the bench runs outside SvelteKit.)
 */
import type { Sql } from 'postgres';
import type { CronJobService } from '../cron/service';
import { retryChain } from './execution';
import { loadJobList } from './jobs';
import { listRuns, parseRunQuery } from './runs';
import { jobStats } from './stats';

export type PageDeps = {
	cron: CronJobService;
	sql: Sql;
	/** CRON_TIMEZONE (settings may override it). */
	defaultTimezone: string;
};

/** /admin/cron */
export function cronListPage(deps: PageDeps, params: URLSearchParams) {
	return loadJobList(deps.sql, deps.defaultTimezone, params);
}

/** /admin/cron/[jobKey]: the job, its recent stats and one page of its history. */
export async function jobPage(deps: PageDeps, key: string, params: URLSearchParams) {
	const { filter, cursor, query } = parseRunQuery(params, 'UTC');
	const [job, stats, history, settings] = await Promise.all([
		deps.cron.getJob(key),
		jobStats(deps.sql, key),
		listRuns(deps.sql, { job: key, status: filter.status, trigger: filter.trigger }, cursor),
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
	const parsed = parseRunQuery(params, zone);
	const hasErrors = Object.keys(parsed.errors).length > 0;
	const [jobs, page] = await Promise.all([
		deps.sql<{ key: string; name: string }[]>`select key, name from cron_job order by key`,
		hasErrors ? null : listRuns(deps.sql, parsed.filter, parsed.cursor)
	]);
	return {
		jobs: jobs.map((j) => ({ key: j.key, name: j.name })),
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

/** /admin/cron/[jobKey]/executions/[executionId] */
export async function executionPage(deps: PageDeps, key: string, id: number) {
	const run = await deps.cron.getExecution(id);
	const [job, chain] = await Promise.all([
		deps.cron.getJob(run.jobKey).catch(() => null),
		retryChain(deps.sql, run)
	]);
	return { run, job: job ? { key: job.key, name: job.name, timezone: job.timezone, source: job.source } : null, chain, routeKey: key };
}
