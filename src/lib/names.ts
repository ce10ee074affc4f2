/**
 * Names shared by the database (check constraints), the API, the UI and the code: one name for
 * one thing, one list of each kind, importable from browser code too.
 */
export const EXECUTION_STATUSES = [
	'queued',
	'running',
	'succeeded',
	'failed',
	'timed_out',
	'interrupted',
	'skipped',
	'missed',
	'cancelled'
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** Runs whose handler ended with an outcome: what success rates and durations count. */
export const FINISHED_STATUSES = ['succeeded', 'failed', 'timed_out', 'interrupted'] as const satisfies readonly ExecutionStatus[];

/** Outcomes that are failures: retried while attempts are left, counted by `consecutive_failures`. */
export const FAILED_STATUSES = ['failed', 'timed_out', 'interrupted'] as const satisfies readonly ExecutionStatus[];

/** Runs not over yet: the ones Cancel applies to. */
export const ACTIVE_STATUSES = ['queued', 'running'] as const satisfies readonly ExecutionStatus[];

export const isFinished = (status: string): boolean => (FINISHED_STATUSES as readonly string[]).includes(status);
export const isFailed = (status: string): boolean => (FAILED_STATUSES as readonly string[]).includes(status);
export const isActive = (status: string): boolean => (ACTIVE_STATUSES as readonly string[]).includes(status);

export const TRIGGERS = ['schedule', 'catch_up', 'manual', 'api', 'retry'] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const OVERLAP_POLICIES = ['forbid', 'allow', 'replace'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export const CATCH_UP_POLICIES = ['skip', 'once', 'all'] as const;
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number];

export const JOB_SOURCES = ['code', 'ui'] as const;
export type JobSource = (typeof JOB_SOURCES)[number];

/**
 * A job's state as the pages show it (derived: `jobState` in cron/job-view.ts, and its SQL twin
 * `stateWhere` in cron/jobs.ts). `paused` is the global pause only; a job turned off is `disabled`.
 */
export const JOB_STATES = ['idle', 'running', 'disabled', 'paused', 'failing', 'misconfigured'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** How the job list can be ordered: by key, by name, or by next run (soonest first). */
export const JOB_SORTS = ['key', 'name', 'next'] as const;
export type JobSort = (typeof JOB_SORTS)[number];

/** The methods an `http` job may use. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * The policies of a job that declares none: code jobs, jobs created through the API, and the
 * new-job form's initial values.
 */
export const POLICY_DEFAULTS = {
	enabled: true,
	timeoutMs: 5 * 60_000,
	maxRetries: 0,
	overlap: 'forbid',
	catchUp: 'once',
	catchUpMaxAgeMs: 24 * 60 * 60_000
} as const satisfies { enabled: boolean; timeoutMs: number; maxRetries: number; overlap: OverlapPolicy; catchUp: CatchUpPolicy; catchUpMaxAgeMs: number };


export const USER_ROLES = ['admin', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const USER_STATUSES = ['online', 'offline'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** Why a device session ended. */
export const END_REASONS = ['ended', 'replaced', 'expired', 'revoked'] as const;
export type EndReason = (typeof END_REASONS)[number];

export const EMAIL_STATUSES = ['pending', 'sent', 'failed'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

// The alerts and monitors domain.

/** What a notification is about (the webhook's `event`). */
export const ALERT_EVENTS = ['failed', 'recovered', 'missed', 'slow', 'no_success', 'auto_disabled', 'monitor_down', 'monitor_up', 'test'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export const CHANNEL_TYPES = ['webhook', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** A webhook's body: `json` (the whole event), `slack` (`{text}`), `discord` (`{content}`). */
export const WEBHOOK_FORMATS = ['json', 'slack', 'discord'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/**
 * A notification's delivery: `pending` (due at `next_attempt_at`), `sending` (claimed by an
 * instance), `delivered`, `failed` (given up), `held` (rate-limited: reported by a later summary
 * or recovery instead).
 */
export const NOTIFICATION_STATUSES = ['pending', 'sending', 'delivered', 'failed', 'held'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** When a job's failures alert: on the change from healthy to failing, on each one, or never. */
export const ON_FAILURE = ['first', 'every', 'never'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

/** Stored monitor statuses; `late` is derived (up, and its ping is overdue but within grace). */
export const MONITOR_STORED_STATUSES = ['new', 'up', 'down'] as const;
export type MonitorStoredStatus = (typeof MONITOR_STORED_STATUSES)[number];
export const MONITOR_STATUSES = ['new', 'up', 'late', 'down'] as const;
export type MonitorStatus = (typeof MONITOR_STATUSES)[number];

export const PING_KINDS = ['success', 'start', 'fail'] as const;
export type PingKind = (typeof PING_KINDS)[number];

/** The colour themes a browser may choose (`system` follows the operating system's setting). */
export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];
