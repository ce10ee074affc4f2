/**
 * A job row as it leaves the process (REST API, admin pages, CLI): its effective zone, its
 * state, its schedule in words, its next run, its params with secrets masked. One rule for
 * each, applied here only. A list that shows few fields (the admin list) reads only the columns
 * of a `JobSummary`, built by the same code as the full view.
 */
import { iso } from '../../format/time';
import type { AlertRules } from '../../schemas/alerts';
import type { CronJob, JobSettings, JobState } from '../db/schema';
import { drift } from './jobs';
import { compileSchedule, describe, nextRun } from './schedule';

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

/** What a list shows of a job: the full view less params, policies, code defaults and history of edits. */
export type JobSummary = Pick<
	JobView,
	| 'key'
	| 'name'
	| 'source'
	| 'type'
	| 'schedule'
	| 'scheduleDescription'
	| 'timezone'
	| 'enabled'
	| 'state'
	| 'configError'
	| 'nextRunAt'
	| 'lastRunAt'
	| 'lastStatus'
	| 'lastDurationMs'
	| 'consecutiveFailures'
>;

/** The columns a summary is made of. */
export const SUMMARY_COLUMNS = [
	'key',
	'name',
	'source',
	'type',
	'schedule',
	'timezone',
	'enabled',
	'configError',
	'nextRunAt',
	'lastRunAt',
	'lastStatus',
	'lastDurationMs',
	'consecutiveFailures'
] as const satisfies readonly (keyof CronJob)[];

export type SummaryRow = Pick<CronJob, (typeof SUMMARY_COLUMNS)[number]>;

/**
 * compileSchedule + describe cost about half a millisecond; the list shows every job, so
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

/**
 * A job's state as the pages show it, in order of precedence: misconfigured (it cannot be
 * scheduled), running, disabled (turned off), failing (its latest outcomes failed), paused (the
 * global pause holds it), idle. Its SQL twin, for filters, is `stateWhere` in jobs.ts.
 */
export function jobState(job: Pick<CronJob, 'configError' | 'enabled' | 'consecutiveFailures'>, running: boolean, paused: boolean): JobState {
	if (job.configError) return 'misconfigured';
	if (running) return 'running';
	if (!job.enabled) return 'disabled';
	if (job.consecutiveFailures > 0) return 'failing';
	return paused ? 'paused' : 'idle';
}

/**
 * When the job runs next: none while disabled or misconfigured; else the instant a running
 * scheduler stored, and while that is missing or past (no scheduler has run since, e.g. a
 * fresh database or web-only instances), the next instant of the schedule. Code jobs read
 * `${NAME}` from `env` as the scheduler does; without it such a schedule has no next run here.
 */
export function nextRunOf(
	job: Pick<CronJob, 'enabled' | 'configError' | 'nextRunAt' | 'schedule' | 'source'>,
	zone: string,
	now: Date,
	env?: Record<string, string | undefined>
): Date | null {
	if (!job.enabled || job.configError) return null;
	if (job.nextRunAt && job.nextRunAt > now) return job.nextRunAt;
	try {
		return nextRun(compileSchedule(job.schedule, zone, job.source === 'code' ? env : undefined), now);
	} catch {
		return null;
	}
}

export type ViewContext = {
	/** The zone of jobs that set none (the settings' default). */
	defaultZone: string;
	/** The global pause. */
	paused: boolean;
	/** Keys of the jobs with a running run. */
	running: ReadonlySet<string>;
	now: Date;
	/** The environment code jobs' `${NAME}` schedules are read from. */
	env?: Record<string, string | undefined>;
	/** Stored params as they may leave the process: a type's secrets masked. */
	shownParams: (job: CronJob) => Record<string, unknown>;
};

export function toJobSummary(job: SummaryRow, ctx: Omit<ViewContext, 'shownParams'>): JobSummary {
	const timezone = job.timezone ?? ctx.defaultZone;
	return {
		key: job.key,
		name: job.name,
		source: job.source,
		type: job.type,
		schedule: job.schedule,
		scheduleDescription: describeSchedule(job.schedule, timezone),
		timezone,
		enabled: job.enabled,
		state: jobState(job, ctx.running.has(job.key), ctx.paused),
		configError: job.configError,
		nextRunAt: iso(nextRunOf(job, timezone, ctx.now, ctx.env)),
		lastRunAt: iso(job.lastRunAt),
		lastStatus: job.lastStatus,
		lastDurationMs: job.lastDurationMs,
		consecutiveFailures: job.consecutiveFailures
	};
}

export function toJobView(job: CronJob, ctx: ViewContext): JobView {
	const s = toJobSummary(job, ctx);
	return {
		key: s.key,
		name: s.name,
		description: job.description,
		source: s.source,
		type: s.type,
		params: ctx.shownParams(job),
		schedule: s.schedule,
		scheduleDescription: s.scheduleDescription,
		timezone: s.timezone,
		timezoneOverride: job.timezone,
		enabled: s.enabled,
		timeoutMs: job.timeoutMs,
		maxRetries: job.maxRetries,
		overlap: job.overlap,
		catchUp: job.catchUp,
		catchUpMaxAgeMs: job.catchUpMaxAgeMs,
		alerts: job.alerts,
		autoDisableAfter: job.autoDisableAfter,
		state: s.state,
		configError: s.configError,
		nextRunAt: s.nextRunAt,
		lastRunAt: s.lastRunAt,
		lastStatus: s.lastStatus,
		lastDurationMs: s.lastDurationMs,
		consecutiveFailures: s.consecutiveFailures,
		codeDefaults: job.codeDefaults,
		drift: drift(job),
		createdAt: job.createdAt.toISOString(),
		updatedAt: job.updatedAt.toISOString(),
		updatedBy: job.updatedBy
	};
}
