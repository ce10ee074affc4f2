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
	primaryKey,
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
	type UserStatus,
	ALERT_EVENTS,
	CHANNEL_TYPES,
	MONITOR_STORED_STATUSES,
	NOTIFICATION_STATUSES,
	PING_KINDS,
	WEBHOOK_FORMATS,
	type AlertEvent,
	type ChannelType,
	type MonitorStoredStatus,
	type NotificationStatus,
	type PingKind,
	type WebhookFormat
} from '../../names';
import type { AlertRules } from '../../schemas/alerts';

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
	/** When the job's runs alert, and where (alerts/, README.md#alerts-and-monitors). */
	alerts: AlertRules;
	/** That many consecutive failures disable the job; null: never. */
	autoDisableAfter: number | null;
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
		alerts: jsonb('alerts')
			.$type<AlertRules>()
			.notNull()
			.default(sql`'{"onFailure": "first", "onRecovery": true, "onMissed": false}'::jsonb`),
		autoDisableAfter: integer('auto_disable_after'),
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
		check('cron_job_auto_disable_after_check', sql`${t.autoDisableAfter} is null or ${t.autoDisableAfter} > 0`),
		// The alerts' timers look for the few jobs that watch durations.
		index('cron_job_max_duration_idx').on(t.key).where(sql`${t.alerts} ? 'maxDurationMs'`),
		index('cron_job_no_success_idx').on(t.key).where(sql`${t.alerts} ? 'noSuccessWithinMs'`),
		// The admin list's orders and its rare states (cron/jobs.ts, pageJobColumns and stateWhere).
		// A state's index holds exactly its rows (but the few running ones, filtered by key), so its
		// page and its count are index-only scans. Search rides trigram indexes where pg_trgm is
		// available: created by drizzle/0013_job_search_trigram.sql, not declared here.
		index('cron_job_name_idx').on(t.name, t.key),
		index('cron_job_next_run_idx').on(t.nextRunAt, t.key),
		index('cron_job_misconfigured_idx').on(t.key).where(sql`${t.configError} is not null`),
		index('cron_job_disabled_idx').on(t.key).where(sql`${t.configError} is null and not ${t.enabled}`),
		index('cron_job_failing_idx').on(t.key).where(sql`${t.configError} is null and ${t.enabled} and ${t.consecutiveFailures} > 0`)
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
		// One run per tick. Manual, API and retry runs have no tick: left out, they cost the
		// queue path two index insertions fewer per run (the claim and the settle).
		uniqueIndex('cron_job_execution_tick_uq').on(t.jobKey, t.scheduledFor).where(sql`${t.scheduledFor} is not null`),
		index('cron_job_execution_history_idx').on(t.jobKey, t.id.desc()),
		// The queue's claim order (run_at, id): rows queued in bulk share run_at.
		index('cron_job_execution_queued_idx').on(t.runAt, t.id).where(sql`${t.status} = 'queued'`),
		index('cron_job_execution_running_idx').on(t.leaseExpiresAt).where(sql`${t.status} = 'running'`),
		// Invariant 2: at most one run holds a `forbid` job's slot.
		uniqueIndex('cron_job_execution_exclusive_uq').on(t.jobKey).where(sql`${t.exclusive}`),
		// Runs newest first, filtered by status (the executions page), for every status but the
		// two every run passes through: indexed, a run entered it at its claim and again at its
		// settle (two of the seven index insertions of those two updates). `running` is read
		// through running_idx, `succeeded` (most of history) along the primary key
		// (cron/executions.ts).
		index('cron_job_execution_status_idx')
			.on(t.status, t.id.desc())
			.where(sql`${t.status} not in ('running', 'succeeded')`),
		check('cron_job_execution_status_check', sql`${t.status} in (${inList(EXECUTION_STATUSES)})`),
		check('cron_job_execution_trigger_check', sql`${t.trigger} in (${inList(TRIGGERS)})`)
	]
);

/**
 * How many jobs there are, in one row kept by statement triggers on `cron_job` (inserted and
 * deleted rows, truncate: drizzle/0014_job_count.sql): the job list reads it instead of counting
 * every job on each request (cron/jobs.ts, countJobs).
 */
export const cronJobCount = pgTable(
	'cron_job_count',
	{
		one: boolean('one').primaryKey().default(true),
		n: bigint('n', { mode: 'number' }).notNull()
	},
	(t) => [check('cron_job_count_one_row', sql`${t.one}`)]
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

// ---- alerts and monitors (alerts/, monitors/; README.md#alerts-and-monitors) --------------------

/**
 * Runs whose outcome the alerts have not looked at yet: a trigger on `cron_job_execution` adds a
 * row in the same transaction as the run's final status (drizzle/0009_alerts.sql, at its end), the
 * alert evaluator (alerts/evaluator.ts) takes them out as it raises the events.
 */
export const alertInbox = pgTable('alert_inbox', {
	executionId: bigint('execution_id', { mode: 'number' }).primaryKey(),
	at: tstz('at').notNull().defaultNow()
});

/** What the alert evaluator remembers of each job between runs. */
export const jobAlertState = pgTable('job_alert_state', {
	jobKey: text('job_key')
		.primaryKey()
		.references(() => cronJob.key, { onDelete: 'cascade', onUpdate: 'cascade' }),
	/** A failure alerted (or would have) and no success since: `onFailure: first` stays quiet. */
	failing: boolean('failing').notNull().default(false),
	/** Consecutive final failures (a run and its retries count once), for autoDisableAfter. */
	failures: integer('failures').notNull().default(0),
	lastSuccessAt: tstz('last_success_at'),
	/** The start of the window whose `no_success` alert was raised (one alert per window). */
	noSuccessFiredFor: tstz('no_success_fired_for'),
	updatedAt: tstz('updated_at').notNull().defaultNow()
});

/** Alerts that must be raised once only and have no row of their own to say so (`slow:<run id>`). */
export const alertFired = pgTable('alert_fired', {
	key: text('key').primaryKey(),
	at: tstz('at').notNull().defaultNow()
});

export const notificationChannel = pgTable(
	'notification_channel',
	{
		id: text('id').primaryKey(),
		name: text('name').notNull(),
		type: text('type').$type<ChannelType>().notNull(),
		/** Webhooks: the body's shape. */
		format: text('format').$type<WebhookFormat>(),
		/** Webhooks: the URL, encrypted under SECRET_KEY (it often is the credential itself). */
		url: text('url'),
		/** Webhooks: the URL as it may be shown (scheme and host; the rest masked). */
		urlShown: text('url_shown'),
		/** Email: the recipients. */
		to: text('to').array(),
		createdAt: tstz('created_at').notNull().defaultNow(),
		createdBy: text('created_by'),
		updatedAt: tstz('updated_at').notNull().defaultNow(),
		updatedBy: text('updated_by')
	},
	(t) => [
		check('notification_channel_type_check', sql`${t.type} in (${inList(CHANNEL_TYPES)})`),
		check('notification_channel_format_check', sql`${t.format} is null or ${t.format} in (${inList(WEBHOOK_FORMATS)})`)
	]
);

/**
 * One row per (event, channel): what to send, and its delivery. Any instance claims due rows
 * with FOR UPDATE SKIP LOCKED (alerts/delivery.ts); `dedupe_key` names the event, so raising it
 * twice cannot send it twice.
 */
export const notification = pgTable(
	'notification',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
		event: text('event').$type<AlertEvent>().notNull(),
		dedupeKey: text('dedupe_key').notNull(),
		channelId: text('channel_id')
			.notNull()
			.references(() => notificationChannel.id, { onDelete: 'cascade' }),
		/** The rate limit's unit (`job:<key>`, `monitor:<key>`); null for tests. */
		subject: text('subject'),
		jobKey: text('job_key'),
		monitorKey: text('monitor_key'),
		executionId: bigint('execution_id', { mode: 'number' }),
		/** The event as a `json` webhook receives it: {event, text, job?, execution?, monitor?, at}. */
		payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
		status: text('status').$type<NotificationStatus>().notNull().default('pending'),
		attempts: integer('attempts').notNull().default(0),
		/** When it is next due: the next attempt, or for a `sending` row the end of its claim (a dead sender's row is taken again). */
		nextAttemptAt: tstz('next_attempt_at').notNull().defaultNow(),
		lastAttemptAt: tstz('last_attempt_at'),
		lastError: text('last_error'),
		/** Email channels: the outbox row that carries it. */
		emailId: bigint('email_id', { mode: 'number' }),
		/** Held rows: the notification (a summary, a recovery) that reported them. */
		heldBy: bigint('held_by', { mode: 'number' }),
		deliveredAt: tstz('delivered_at'),
		createdAt: tstz('created_at').notNull().defaultNow()
	},
	(t) => [
		uniqueIndex('notification_event_channel_uq').on(t.dedupeKey, t.channelId),
		index('notification_due_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'sending')`),
		index('notification_failed_idx').on(t.lastAttemptAt).where(sql`${t.status} = 'failed'`),
		index('notification_held_idx').on(t.subject, t.channelId).where(sql`${t.status} = 'held' and ${t.heldBy} is null`),
		check('notification_event_check', sql`${t.event} in (${inList(ALERT_EVENTS)})`),
		check('notification_status_check', sql`${t.status} in (${inList(NOTIFICATION_STATUSES)})`)
	]
);

/**
 * The rate limit: at most one notification per subject (a job, a monitor) and channel per
 * window; the rest are held and counted, and summarised when the window ends.
 */
export const notificationWindow = pgTable(
	'notification_window',
	{
		subject: text('subject').notNull(),
		channelId: text('channel_id')
			.notNull()
			.references(() => notificationChannel.id, { onDelete: 'cascade' }),
		endsAt: tstz('ends_at').notNull(),
		/** Held notifications by event, e.g. {"failed": 41}. */
		held: jsonb('held').$type<Partial<Record<AlertEvent, number>>>().notNull().default({}),
		/** The latest held event's payload (the summary's job and execution). */
		lastPayload: jsonb('last_payload').$type<Record<string, unknown>>()
	},
	(t) => [
		primaryKey({ columns: [t.subject, t.channelId] }),
		index('notification_window_held_idx').on(t.endsAt).where(sql`${t.held} <> '{}'::jsonb`)
	]
);

export const monitor = pgTable(
	'monitor',
	{
		key: text('key').primaryKey(),
		name: text('name').notNull(),
		/** SHA-256 of the ping token; the token itself is shown once (on creation, on regeneration). */
		tokenHash: bytea('token_hash').notNull(),
		periodSeconds: integer('period_seconds'),
		schedule: text('schedule'),
		timezone: text('timezone'),
		graceSeconds: integer('grace_seconds').notNull(),
		/** Null: the setting alerts.defaultChannels; []: none. */
		channels: jsonb('channels').$type<string[] | null>(),
		status: text('status').$type<MonitorStoredStatus>().notNull().default('new'),
		statusChangedAt: tstz('status_changed_at'),
		lastPingAt: tstz('last_ping_at'),
		lastPingKind: text('last_ping_kind').$type<PingKind>(),
		lastStartAt: tstz('last_start_at'),
		/** When the next success ping is due (late after it). */
		expectedAt: tstz('expected_at'),
		/** When an `up` monitor goes down without a success ping (grace passed, or a start not finished). */
		downAt: tstz('down_at'),
		createdAt: tstz('created_at').notNull().defaultNow(),
		createdBy: text('created_by'),
		updatedAt: tstz('updated_at').notNull().defaultNow(),
		updatedBy: text('updated_by')
	},
	(t) => [
		uniqueIndex('monitor_token_uq').on(t.tokenHash),
		index('monitor_down_at_idx').on(t.downAt).where(sql`${t.status} = 'up'`),
		check('monitor_status_check', sql`${t.status} in (${inList(MONITOR_STORED_STATUSES)})`),
		check('monitor_expectation_check', sql`(${t.periodSeconds} is null) <> (${t.schedule} is null)`),
		check('monitor_period_check', sql`${t.periodSeconds} is null or ${t.periodSeconds} > 0`),
		check('monitor_grace_check', sql`${t.graceSeconds} >= 0`)
	]
);

/** Every ping, with its body (the first 10 KB): a monitor's log. */
export const monitorPing = pgTable(
	'monitor_ping',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
		monitorKey: text('monitor_key')
			.notNull()
			.references(() => monitor.key, { onDelete: 'cascade', onUpdate: 'cascade' }),
		at: tstz('at').notNull().defaultNow(),
		kind: text('kind').$type<PingKind>().notNull(),
		exitCode: integer('exit_code'),
		body: text('body'),
		/** The body's size as sent (it is kept truncated past 10 KB). */
		bodyBytes: integer('body_bytes').notNull().default(0),
		remoteAddr: text('remote_addr'),
		userAgent: text('user_agent')
	},
	(t) => [index('monitor_ping_history_idx').on(t.monitorKey, t.id.desc()), check('monitor_ping_kind_check', sql`${t.kind} in (${inList(PING_KINDS)})`)]
);

/** A monitor's status changes; `alerted` once the evaluator raised its alert (if any). */
export const monitorFlip = pgTable(
	'monitor_flip',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
		monitorKey: text('monitor_key')
			.notNull()
			.references(() => monitor.key, { onDelete: 'cascade', onUpdate: 'cascade' }),
		at: tstz('at').notNull().defaultNow(),
		fromStatus: text('from_status').$type<MonitorStoredStatus>().notNull(),
		toStatus: text('to_status').$type<MonitorStoredStatus>().notNull(),
		reason: text('reason').notNull(),
		alerted: boolean('alerted').notNull().default(false)
	},
	(t) => [index('monitor_flip_history_idx').on(t.monitorKey, t.id.desc()), index('monitor_flip_pending_idx').on(t.id).where(sql`not ${t.alerted}`)]
);

export type NotificationChannel = typeof notificationChannel.$inferSelect;
export type Notification = typeof notification.$inferSelect;
export type Monitor = typeof monitor.$inferSelect;
export type MonitorPing = typeof monitorPing.$inferSelect;
export type MonitorFlip = typeof monitorFlip.$inferSelect;
