/**
 * What the orchestrator (main.ts) and a trial process (trial.ts) say to each other over the
 * fork IPC channel. One trial process runs one system on one fresh database, then exits.
 */

/**
 * The role the trial's own connection runs as (main.ts creates it on the server), so the
 * profile can leave the bench's statements out of pg_stat_statements.
 */
export const BENCH_ROLE = 'bench_admin';

/** The systems and the configurations compared. */
export const SYSTEMS = {
	cronkit: 'Cronkit',
	'pg-boss': 'pg-boss 12',
	'pg-boss-1s': 'pg-boss 12, intervals 1 s',
	'graphile-batched': 'Graphile Worker 0.18, batched',
	graphile: 'Graphile Worker 0.18, defaults'
} as const;

export type SystemId = keyof typeof SYSTEMS;

type Common = {
	system: SystemId;
	/** The trial's own, freshly created database. */
	url: string;
	/** The repository root (Cronkit's migrations live under it). */
	root: string;
	/** Wall-clock ms after which the trial gives up (the orchestrator kills it a little later). */
	deadline: number;
};

export type QueueSpec = Common & {
	kind: 'queue';
	/** The PostgreSQL server's postmaster pid, for /proc CPU readings. */
	postmaster: number;
	jobs: number;
	inFlight: number;
	pool: number;
	/** Profile mode: LISTEN on the system's channels and count what it hears. */
	countNotifies: boolean;
	/** Profile mode: snapshot pg_stat_statements and the WAL by relation for the timed window. */
	profile: boolean;
	/** Cronkit only: how many jobs the queued runs are spread over. */
	cronkitJobs: number;
};

export type CronSpec = Common & {
	kind: 'cron';
	/** The instant every schedule is due (epoch ms). */
	at: number;
	jobs: number;
};

export type IdleSpec = Common & {
	kind: 'idle';
	schedules: number;
};

export type TrialSpec = QueueSpec | CronSpec | IdleSpec;

/** Rows and bytes a system keeps once the jobs are done. */
export type Kept = { rows: string; bytes: number };

export type QueueResult = {
	done: number;
	ms: number;
	/** Handler starts between 10% and 90% of the jobs, per second. */
	steadyRps: number;
	/** From the call that starts the worker to the first handler. */
	firstMs: number;
	nodeCpuMs: number;
	/** Of nodeCpuMs, in the kernel. */
	nodeSystemMs: number;
	pgCpuMs: number;
	walBytes: number;
	notifies: number;
	notifyBytes: number;
	kept: Kept;
	/** On the monotonic clock (µs, as V8's CPU profiles count): start, first handler, end. */
	monoUs: [number, number, number];
	/** Profile mode only. */
	profile?: DbProfile;
};

export type StatementStat = { query: string; toplevel: boolean; calls: number; ms: number; planMs: number; plans: number; rows: number; walBytes: number };

export type RelationWal = { relation: string; kind: string; records: number; bytes: number; fpiBytes: number };

export type DbProfile = {
	statements: StatementStat[];
	/** WAL of the window by resource manager (pg_walinspect). */
	walByKind: { kind: string; records: number; bytes: number; fpiBytes: number }[];
	/** WAL block references of the window by relation and record type (pg_walinspect). */
	walByRelation: RelationWal[];
};

export type CronResult = {
	/** Handler start − the due instant, ms, one per job that started in time. */
	lags: number[];
	/** Handlers that started before the instant (must be none). */
	early: number;
	bootMs: number;
	/** The system's own account of the firing, if it keeps one. */
	detail?: string;
};

export type IdleResult = { kept: Kept };

export type FromTrial =
	| { type: 'ready' }
	| { type: 'queue'; result: QueueResult }
	| { type: 'cron'; result: CronResult }
	| { type: 'idle'; result: IdleResult }
	| { type: 'error'; message: string };

export type ToTrial = { type: 'spec'; spec: TrialSpec } | { type: 'stop' };
