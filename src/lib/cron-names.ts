/** Names shared by the database, the API, the UI and the code: one name for one thing. */
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

export const TRIGGERS = ['schedule', 'catch_up', 'manual', 'api', 'retry'] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const OVERLAP_POLICIES = ['forbid', 'allow', 'replace'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export const CATCH_UP_POLICIES = ['skip', 'once', 'all'] as const;
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number];

export const JOB_SOURCES = ['code', 'ui'] as const;
export type JobSource = (typeof JOB_SOURCES)[number];

