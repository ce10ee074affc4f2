import { sql } from 'drizzle-orm';
import {
	bigint,
	boolean,
	customType,
	check,
	index,
	integer,
	jsonb,
	pgTable,
	text,
	timestamp,
	uniqueIndex
} from 'drizzle-orm/pg-core';

import {
	CATCH_UP_POLICIES,
	EMAIL_STATUSES,
	END_REASONS,
	EXECUTION_STATUSES,
	JOB_SOURCES,
	OVERLAP_POLICIES,
	TRIGGERS,
	USER_ROLES,
	USER_STATUSES,
	type CatchUpPolicy,
	type EmailStatus,
	type EndReason,
	type ExecutionStatus,
	type JobSource,
	type OverlapPolicy,
	type Trigger,
	type UserRole,
	type UserStatus
} from '../../names';

/** The shared names, re-exported so server code has one import for the schema. */
export * from '../../names';

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** The settings an admin may edit; code jobs keep their code's values beside them for drift. */
export type JobSettings = {
	schedule: string;
	timezone: string | null;
	enabled: boolean;
	timeoutMs: number;
	maxRetries: number;
	overlap: OverlapPolicy;
	catchUp: CatchUpPolicy;
	catchUpMaxAgeMs: number;
};

export const cronJob = pgTable(
	'cron_job',
	{
		key: text('key').primaryKey(),
		name: text('name').notNull(),
		description: text('description').notNull().default(''),
		source: text('source').$type<JobSource>().notNull(),
		type: text('type').notNull(),
		params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
		schedule: text('schedule').notNull(),
		/** Null follows CRON_TIMEZONE. */
		timezone: text('timezone'),
		enabled: boolean('enabled').notNull().default(true),
		timeoutMs: integer('timeout_ms').notNull(),
		maxRetries: integer('max_retries').notNull().default(0),
		overlap: text('overlap').$type<OverlapPolicy>().notNull().default('forbid'),
		catchUp: text('catch_up').$type<CatchUpPolicy>().notNull().default('once'),
		catchUpMaxAgeMs: bigint('catch_up_max_age_ms', { mode: 'number' }).notNull(),
		/** What code declares, refreshed on every boot; null for UI jobs. */
		codeDefaults: jsonb('code_defaults').$type<JobSettings>(),
		/** Why the job cannot be scheduled (e.g. an unset ${VAR}); null when fine. */
		configError: text('config_error'),
		/**
		 * Ticks before this instant are not owed to the job (it was created, enabled or
		 * rescheduled then): catch-up after downtime never reaches further back.
		 */
		ticksOwedSince: tstz('ticks_owed_since').notNull().defaultNow(),
		nextRunAt: tstz('next_run_at'),
		lastRunAt: tstz('last_run_at'),
		lastStatus: text('last_status').$type<ExecutionStatus>(),
		lastDurationMs: integer('last_duration_ms'),
		consecutiveFailures: integer('consecutive_failures').notNull().default(0),
		createdAt: tstz('created_at').notNull().defaultNow(),
		createdBy: text('created_by'),
		updatedAt: tstz('updated_at').notNull().defaultNow(),
		updatedBy: text('updated_by')
	},
	(t) => [
		check('cron_job_source_check', sql`${t.source} in (${inList(JOB_SOURCES)})`),
		check('cron_job_overlap_check', sql`${t.overlap} in (${inList(OVERLAP_POLICIES)})`),
		check('cron_job_catch_up_check', sql`${t.catchUp} in (${inList(CATCH_UP_POLICIES)})`),
		check('cron_job_timeout_check', sql`${t.timeoutMs} > 0`),
		check('cron_job_max_retries_check', sql`${t.maxRetries} >= 0`),
		// The admin list's orders and its rare states (cron/jobs.ts, pageJobColumns and stateWhere).
		index('cron_job_name_idx').on(t.name, t.key),
		index('cron_job_next_run_idx').on(t.nextRunAt, t.key),
		index('cron_job_misconfigured_idx').on(t.key).where(sql`${t.configError} is not null`),
		index('cron_job_disabled_idx').on(t.key).where(sql`not ${t.enabled}`),
		index('cron_job_failing_idx').on(t.key).where(sql`${t.consecutiveFailures} > 0`)
	]
);

export const cronJobExecution = pgTable(
	'cron_job_execution',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
		jobKey: text('job_id')
			.notNull()
			.references(() => cronJob.key, { onDelete: 'cascade', onUpdate: 'cascade' }),
		trigger: text('trigger').$type<Trigger>().notNull(),
		/** The schedule tick this run belongs to; null for manual, API and retry runs. */
		scheduledFor: tstz('scheduled_for'),
		runAt: tstz('run_at').notNull().defaultNow(),
		attempt: integer('attempt').notNull().default(1),
		retryOf: bigint('retry_of', { mode: 'number' }),
		status: text('status').$type<ExecutionStatus>().notNull(),
		/**
		 * This run holds its `forbid` job's single slot: from claim until its handler has really
		 * stopped (a timed-out handler that ignores its signal keeps the slot), or its lease
		 * expires.
		 */
		exclusive: boolean('exclusive').notNull().default(false),
		startedAt: tstz('started_at'),
		finishedAt: tstz('finished_at'),
		durationMs: integer('duration_ms'),
		instanceId: text('instance_id'),
		leaseExpiresAt: tstz('lease_expires_at'),
		triggeredByUserId: text('triggered_by_user_id'),
		/** Who asked for a manual or API run (an email, `cli`, `api`). */
		triggeredBy: text('triggered_by'),
		/** What the run printed: the first and last 64 KB, with a marker between when more was produced. */
		output: text('output'),
		/** Bytes of output produced so far (offsets of the live output count these). */
		outputBytes: bigint('output_bytes', { mode: 'number' }),
		/** Where, in the produced bytes, the kept tail starts; null when nothing was left out. */
		outputTailAt: bigint('output_tail_at', { mode: 'number' }),
		result: jsonb('result'),
		/** For runs with a process of their own (command jobs, isolated code jobs). */
		exitCode: integer('exit_code'),
		/** The signal that ended the process, by name (e.g. SIGKILL). */
		signal: text('signal'),
		/** User + system CPU of the run's process group, in ms (sampled). */
		cpuMs: integer('cpu_ms'),
		/** Peak resident memory of the run's largest process, in kB (sampled). */
		maxRssKb: integer('max_rss_kb'),
		errorMessage: text('error_message'),
		errorStack: text('error_stack'),
		createdAt: tstz('created_at').notNull().defaultNow()
	},
	(t) => [
		uniqueIndex('cron_job_execution_tick_uq').on(t.jobKey, t.scheduledFor),
		index('cron_job_execution_history_idx').on(t.jobKey, t.id.desc()),
		// The queue's claim order (run_at, id): rows queued in bulk share run_at.
		index('cron_job_execution_queued_idx').on(t.runAt, t.id).where(sql`${t.status} = 'queued'`),
		index('cron_job_execution_running_idx').on(t.leaseExpiresAt).where(sql`${t.status} = 'running'`),
		// Invariant 2: at most one run holds a `forbid` job's slot.
		uniqueIndex('cron_job_execution_exclusive_uq').on(t.jobKey).where(sql`${t.exclusive}`),
		// All runs, newest first, filtered by status (the executions page).
		index('cron_job_execution_status_idx').on(t.status, t.id.desc()),
		check('cron_job_execution_status_check', sql`${t.status} in (${inList(EXECUTION_STATUSES)})`),
		check('cron_job_execution_trigger_check', sql`${t.trigger} in (${inList(TRIGGERS)})`)
	]
);

export const cronJobConfig = pgTable('cron_job_config', {
	key: text('key').primaryKey(),
	value: jsonb('value').notNull(),
	description: text('description'),
	updatedAt: tstz('updated_at').notNull().defaultNow(),
	updatedBy: text('updated_by')
});

export const auditLog = pgTable(
	'audit_log',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
		at: tstz('at').notNull().defaultNow(),
		actor: text('actor').notNull(),
		action: text('action').notNull(),
		entity: text('entity').notNull(),
		entityId: text('entity_id'),
		before: jsonb('before'),
		after: jsonb('after')
	},
	(t) => [index('audit_log_entity_idx').on(t.entity, t.entityId, t.id.desc())]
);

/**
 * The fingerprint of SECRET_KEY, the key job secrets are encrypted under (one row): an instance
 * booting with another key refuses to start rather than fail to read them.
 */
export const secretKey = pgTable(
	'secret_key',
	{
		id: integer('id').primaryKey(),
		fingerprint: text('fingerprint').notNull(),
		createdAt: tstz('created_at').notNull().defaultNow()
	},
	(t) => [check('secret_key_one_row', sql`${t.id} = 1`)]
);

/**
 * Every running Cronkit process registers here and keeps its row fresh, so any instance can
 * tell whether queued runs have a live worker to take them, and which clocks are off.
 */
export const cronInstance = pgTable(
	'cron_instance',
	{
		id: text('id').primaryKey(),
		/** CRON_ROLE: `all` and `worker` run the scheduler, `web` does not. */
		role: text('role').notNull(),
		version: text('version').notNull(),
		host: text('host').notNull(),
		pid: integer('pid').notNull(),
		startedAt: tstz('started_at').notNull().defaultNow(),
		lastSeenAt: tstz('last_seen_at').notNull().defaultNow(),
		/** This instance's clock minus the database's, as it last measured (ms). */
		clockOffsetMs: integer('clock_offset_ms'),
		/** Set on a clean shutdown; a crashed instance just stops being seen. */
		stoppedAt: tstz('stopped_at')
	},
	(t) => [index('cron_instance_seen_idx').on(t.lastSeenAt)]
);

export type CronJob = typeof cronJob.$inferSelect;
export type NewCronJob = typeof cronJob.$inferInsert;
export type CronJobExecution = typeof cronJobExecution.$inferSelect;
export type CronJobConfig = typeof cronJobConfig.$inferSelect;
export type AuditLog = typeof auditLog.$inferSelect;

// ---- auth (README, "Security") --------------------------------------------------------------

export const user = pgTable(
	'user',
	{
		id: text('id').primaryKey(),
		/** Stored lower-cased; unique. */
		email: text('email').notNull(),
		passwordHash: text('password_hash').notNull(),
		role: text('role').$type<UserRole>().notNull().default('viewer'),
		lastSeenAt: tstz('last_seen_at'),
		status: text('status').$type<UserStatus>().notNull().default('offline'),
		createdAt: tstz('created_at').notNull().defaultNow(),
		updatedAt: tstz('updated_at').notNull().defaultNow()
	},
	(t) => [
		uniqueIndex('user_email_uq').on(t.email),
		check('user_role_check', sql`${t.role} in (${inList(USER_ROLES)})`),
		check('user_status_check', sql`${t.status} in (${inList(USER_STATUSES)})`)
	]
);

/** Login sessions as taught by the Lucia guide: token `id.secret`, only SHA-256(secret) stored. */
export const authSession = pgTable(
	'auth_session',
	{
		id: text('id').primaryKey(),
		userId: text('user_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		secretHash: bytea('secret_hash').notNull(),
		createdAt: tstz('created_at').notNull().defaultNow(),
		lastVerifiedAt: tstz('last_verified_at').notNull().defaultNow()
	},
	(t) => [index('auth_session_user_idx').on(t.userId), index('auth_session_verified_idx').on(t.lastVerifiedAt)]
);

/** Fixed-window counters shared by every instance (login attempts, session starts per IP). */
export const rateLimit = pgTable('rate_limit', {
	key: text('key').primaryKey(),
	hits: integer('hits').notNull(),
	windowEndsAt: tstz('window_ends_at').notNull()
});

// ---- devices (README, "Device sessions and access keys") -------------------------------------

export const accessKey = pgTable(
	'access_key',
	{
		id: text('id').primaryKey(),
		/** SHA-256 of the plain key; the key itself is shown once and never stored. */
		keyHash: bytea('key_hash').notNull(),
		/** The first characters of the key, for recognising it in lists. */
		prefix: text('prefix').notNull(),
		label: text('label'),
		email: text('email'),
		createdAt: tstz('created_at').notNull().defaultNow(),
		createdBy: text('created_by'),
		revokedAt: tstz('revoked_at')
	},
	(t) => [uniqueIndex('access_key_hash_uq').on(t.keyHash)]
);

export const deviceSession = pgTable(
	'device_session',
	{
		/** Hex SHA-256 of the session id the client holds (its credential is never stored). */
		id: text('id').primaryKey(),
		accessKeyId: text('access_key_id')
			.notNull()
			.references(() => accessKey.id, { onDelete: 'cascade' }),
		deviceId: text('device_id'),
		startedAt: tstz('started_at').notNull().defaultNow(),
		lastHeartbeatAt: tstz('last_heartbeat_at').notNull().defaultNow(),
		endedAt: tstz('ended_at'),
		endReason: text('end_reason').$type<EndReason>()
	},
	(t) => [
		// One open session per key, enforced by the database: two simultaneous starts cannot both win.
		uniqueIndex('device_session_open_uq').on(t.accessKeyId).where(sql`${t.endedAt} is null`),
		// session-cleanup scans open sessions by last heartbeat.
		index('device_session_open_heartbeat_idx').on(t.lastHeartbeatAt).where(sql`${t.endedAt} is null`),
		index('device_session_key_idx').on(t.accessKeyId, t.startedAt.desc()),
		check('device_session_end_reason_check', sql`${t.endReason} is null or ${t.endReason} in (${inList(END_REASONS)})`)
	]
);

// ---- email (README, "Email") --------------------------------------------------------------------

export const emailOutbox = pgTable(
	'email_outbox',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
		to: text('to').notNull(),
		subject: text('subject').notNull(),
		text: text('text').notNull(),
		kind: text('kind').notNull(),
		status: text('status').$type<EmailStatus>().notNull().default('pending'),
		attempts: integer('attempts').notNull().default(0),
		lastAttemptAt: tstz('last_attempt_at'),
		lastError: text('last_error'),
		createdAt: tstz('created_at').notNull().defaultNow(),
		sentAt: tstz('sent_at')
	},
	(t) => [
		index('email_outbox_pending_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
		index('email_outbox_status_idx').on(t.status, t.id.desc()),
		check('email_outbox_status_check', sql`${t.status} in (${inList(EMAIL_STATUSES)})`)
	]
);

export type User = typeof user.$inferSelect;
export type AuthSession = typeof authSession.$inferSelect;
export type AccessKey = typeof accessKey.$inferSelect;
export type DeviceSession = typeof deviceSession.$inferSelect;
export type EmailOutbox = typeof emailOutbox.$inferSelect;
