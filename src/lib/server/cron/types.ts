import type { z } from 'zod';
import { jobKeySchema } from '../../schemas/cron';
import type { Db } from '../db';
import type { CatchUpPolicy, OverlapPolicy, Trigger } from '../db/schema';

export type JobContext<P = Record<string, unknown>> = {
	/** Aborted on timeout, cancellation, replacement, lost lease or shutdown past the grace period. */
	signal: AbortSignal;
	/** Captured into the run's output (capped). */
	log: (...args: unknown[]) => void;
	params: P;
	db: Db;
	execution: { id: number; jobKey: string; attempt: number; trigger: Trigger; scheduledFor: Date | null };
};

export type JobResult = { message?: string; metrics?: Record<string, number> } | void;

export type JobHandler<P = Record<string, unknown>> = (ctx: JobContext<P>) => Promise<JobResult> | JobResult;

/** Policies and schedule a job definition declares; every one is editable at runtime. */
export type JobDefaults = {
	schedule: string;
	/** IANA zone; omitted follows CRON_TIMEZONE. */
	timezone?: string;
	enabled?: boolean;
	timeoutMs?: number;
	maxRetries?: number;
	overlap?: OverlapPolicy;
	catchUp?: CatchUpPolicy;
	catchUpMaxAgeMs?: number;
};

/** A job declared in code (README, "Adding a job in code"). */
export type JobDefinition<P = Record<string, unknown>> = JobDefaults & {
	key: string;
	name: string;
	description?: string;
	/** Validates (and defaults) the stored params before each run. */
	params?: z.ZodType<P>;
	handler: JobHandler<P>;
	/**
	 * `process`: the handler runs in a child process of its own (the built worker entry), so a
	 * handler that ignores its signal (a CPU loop) is still stopped at its timeout.
	 */
	isolation?: 'in-process' | 'process';
};

/** A program a run starts, in a process group of its own (command jobs). */
export type ProcessPlan = {
	argv: string[];
	cwd?: string;
	/** Added to the server's environment less its configuration secrets. */
	env?: Record<string, string>;
	stdin?: string;
	/** SIGTERM first; SIGKILL this long after. */
	killGraceMs: number;
};

/** A registered type for jobs created through the UI or API (e.g. `http`, `command`). */
export type JobType<P = Record<string, unknown>> = {
	name: string;
	/** Validates (and defaults) the stored params before each run: what the handler receives. */
	params: z.ZodType<P>;
	/** Why jobs of this type cannot run on this server (e.g. COMMAND_JOBS is off): they show as misconfigured. */
	disabled?: string;
	/**
	 * Submitted params to what is stored, for types with secrets: validates (throwing a
	 * ServiceError that names the field), encrypts the secrets, and keeps from `previous` those
	 * sent back masked. Without it, `params` validates submissions too.
	 */
	store?: (input: unknown, previous: Record<string, unknown> | null) => Record<string, unknown>;
	/** Stored params as they may leave the process (API, pages, audit log): secrets masked. */
	view?: (stored: Record<string, unknown>) => Record<string, unknown>;
} & (
	| { handler: JobHandler<P>; spawn?: never }
	/** A type whose runs are a program: the runner starts it, watches it, and ends its process group. */
	| { spawn: (params: P) => ProcessPlan; handler?: never }
);

/** Registry entries, their params type erased: the scheduler validates params with the job's
 * own schema before every call, which is what makes the erasure sound. */
export type RegisteredJob = JobDefinition<Record<string, unknown>>;
export type RegisteredType = JobType<Record<string, unknown>>;

/** Throws, naming the job, for a key the API would refuse too (not a slug, reserved). */
export function defineJob<P>(def: JobDefinition<P>): RegisteredJob {
	const key = jobKeySchema.safeParse(def.key);
	if (!key.success) throw new Error(`code job "${def.key}": key ${key.error.issues[0]!.message}`);
	return def as unknown as RegisteredJob;
}

export function defineJobType<P>(type: JobType<P>): RegisteredType {
	return type as unknown as RegisteredType;
}
