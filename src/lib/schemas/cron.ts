/**
 * Zod schemas of the cron domain, in one place: the API, the forms, the pages' filters and the
 * service derive theirs from these with pick/omit/partial.
 */
import { z } from 'zod';
import { CATCH_UP_POLICIES, EXECUTION_STATUSES, JOB_SORTS, JOB_SOURCES, JOB_STATES, OVERLAP_POLICIES, TRIGGERS } from '../names';
import { idCursorSchema, lenient } from './query';
import { alertRulesInput, autoDisableAfter } from './alerts';

/** Keys a job cannot take: /admin/cron/{key} is already the page of that name. */
const RESERVED_JOB_KEYS: readonly string[] = ['new', 'executions', 'settings'];

export const jobKeySchema = z
	.string({ error: 'must be a string' })
	.min(2, 'must be at least 2 characters')
	.max(64, 'must be at most 64 characters')
	.regex(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/, 'must be a slug: lowercase letters, digits and dashes')
	.refine((key) => !RESERVED_JOB_KEYS.includes(key), {
		error: (issue) => `is reserved for the admin page /admin/cron/${String(issue.input)}`
	});

/** Every field of a job as the API takes it; no defaults here, so PATCH keeps absent fields absent. */
export const jobSchema = z.strictObject({
	key: jobKeySchema,
	name: z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(200, 'must be at most 200 characters'),
	description: z.string({ error: 'must be a string' }).max(2000, 'must be at most 2000 characters'),
	type: z.string({ error: 'must be a string' }).min(1, 'is required'),
	params: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
	schedule: z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(200, 'must be at most 200 characters'),
	timezone: z.string({ error: 'must be a string' }).nullable().optional(),
	enabled: z.boolean({ error: 'must be true or false' }),
	timeoutMs: z.number({ error: 'must be a number' }).int('must be a whole number').min(100, 'must be at least 100').max(24 * 3600_000, 'must be at most 24 h').optional(),
	maxRetries: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be at least 0').max(20, 'must be at most 20').optional(),
	overlap: z.enum(OVERLAP_POLICIES, { error: `must be one of ${OVERLAP_POLICIES.join(', ')}` }).optional(),
	catchUp: z.enum(CATCH_UP_POLICIES, { error: `must be one of ${CATCH_UP_POLICIES.join(', ')}` }).optional(),
	catchUpMaxAgeMs: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be at least 0').max(365 * 24 * 3600_000, 'must be at most a year').optional(),
	/** The whole rule set (fields left out take their defaults); see schemas/alerts.ts. */
	alerts: alertRulesInput.optional(),
	autoDisableAfter: autoDisableAfter.optional()
});

export const createJobSchema = jobSchema.extend({
	description: jobSchema.shape.description.default(''),
	params: jobSchema.shape.params.default({}),
	enabled: jobSchema.shape.enabled.default(true)
});
export type CreateJobInput = z.input<typeof createJobSchema>;

/** PATCH takes any subset but key, type and source. */
export const updateJobSchema = jobSchema.omit({ key: true, type: true }).partial();
export type UpdateJobInput = z.input<typeof updateJobSchema>;

const statusSchema = z.enum(EXECUTION_STATUSES, { error: `must be one of ${EXECUTION_STATUSES.join(', ')}` });
const triggerSchema = z.enum(TRIGGERS, { error: `must be one of ${TRIGGERS.join(', ')}` });

/** GET /api/cron/executions and /api/cron/jobs/{key}/executions: `?status=&trigger=&cursor=&limit=`. */
export const executionQuerySchema = z.object({
	status: statusSchema.optional(),
	trigger: triggerSchema.optional(),
	cursor: idCursorSchema.optional(),
	limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50)
});
export type ExecutionQuery = z.infer<typeof executionQuerySchema>;

/**
 * The history filters of the admin pages: the API's, plus the job, a time range (`from`/`to`,
 * `datetime-local` wall times) and both cursors (`before` older, `after` newer).
 */
export const executionFilterQuerySchema = lenient({
	job: jobKeySchema,
	status: statusSchema,
	trigger: triggerSchema,
	from: z.string().max(40),
	to: z.string().max(40),
	before: idCursorSchema,
	after: idCursorSchema
});
export type ExecutionFilterQuery = z.infer<typeof executionFilterQuerySchema>;

/** Jobs on one page of the admin list. */
export const JOB_PAGE_SIZE = 50;
/**
 * The deepest page the list serves: its offset is read through an index, so page 2,000 (the
 * 100,000th job) still costs a few tens of milliseconds; a search or a filter finds the rest.
 */
export const MAX_JOB_PAGE = 2_000;

/** The job list's filters, order and page (/admin/cron); bad values fall back to the defaults. */
export const jobListQuerySchema = z.object({
	q: z.string().trim().max(100).catch(''),
	state: z.enum(JOB_STATES).optional().catch(undefined),
	source: z.enum(JOB_SOURCES).optional().catch(undefined),
	sort: z.enum(JOB_SORTS).catch('key'),
	page: z.coerce.number().int().min(1).catch(1).transform((p) => Math.min(p, MAX_JOB_PAGE))
});

/** The keys of a bulk action on the job list (Run now, Enable, Disable for the selected jobs). */
export const bulkKeysSchema = z
	.array(jobKeySchema, { error: 'must be a list of job keys' })
	.min(1, 'choose at least one job')
	.max(JOB_PAGE_SIZE * 10, `at most ${JOB_PAGE_SIZE * 10} jobs at once`);
export type JobListQuery = z.infer<typeof jobListQuerySchema>;

export const previewQuerySchema = z.object({
	expr: z.string({ error: 'is required' }).min(1, 'is required').max(200),
	tz: z.string().optional(),
	count: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be between 1 and 1000').max(1000, 'must be between 1 and 1000').default(5),
	from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant' }).optional(),
	/** The job being edited: its own schedule (which may read the environment) is accepted as is. */
	job: jobKeySchema.optional()
});

/** POST /api/cron/run: how long to wait for the runs it starts before answering. */
export const runDueQuerySchema = z.object({
	budgetMs: z.coerce
		.number({ error: 'must be a number' })
		.int('must be a whole number')
		.min(0, 'must be between 0 and 600000')
		.max(600_000, 'must be between 0 and 600000')
		.default(25_000)
});

/** GET /api/cron/executions/{id}/output: from which byte of the produced output on. */
export const outputQuerySchema = z.object({
	offset: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be at least 0').default(0)
});
