/**
 * The jobs one instance has loaded: each job row with its compiled schedule, its handler and
 * why it cannot run (if so). Re-arming a job gives it a new generation; timer entries of older
 * generations are stale and ignored.
 */
import type { CronJob } from '../db/schema';
import { isOrphaned, NO_HANDLER } from './jobs';
import { compileSchedule, type CompiledSchedule } from './schedule';
import type { JobHandler, ProcessPlan, RegisteredJob, RegisteredType } from './types';

/**
 * What the scheduler keeps of a job row: what arming, claiming, catching up and running read.
 * The rest (name, description, alerts, state columns…) stays in the database: at 100,000 jobs
 * each field kept costs megabytes (docs/architecture.md, "Memory and boot at 100,000 jobs").
 */
export type ArmedJob = Pick<CronJob, (typeof ARMED_FIELDS)[number]>;

export const ARMED_FIELDS = [
	'key',
	'source',
	'type',
	'params',
	'schedule',
	'timezone',
	'enabled',
	'timeoutMs',
	'maxRetries',
	'overlap',
	'catchUp',
	'catchUpMaxAgeMs',
	'configError',
	'updatedAt'
] as const satisfies readonly (keyof CronJob)[];

/** The fields of a row the scheduler keeps, in a new object (the row itself can go). */
export const armedJob = (job: ArmedJob): ArmedJob => Object.fromEntries(ARMED_FIELDS.map((f) => [f, job[f]])) as ArmedJob;

export type Armed = {
	job: ArmedJob;
	schedule: CompiledSchedule | null;
	/** An in-process handler (code jobs, most types)… */
	handler: JobHandler<Record<string, unknown>> | null;
	/** …or a program to start (command jobs). */
	spawn: ((params: Record<string, unknown>) => ProcessPlan) | null;
	/** A code job whose handler runs in a child process of its own. */
	isolated: boolean;
	error: string | null;
	gen: number;
	/** The next fire instant on the timer (database time), null when not scheduled. */
	nextAt: number | null;
};

export type ArmedJobsDeps = {
	definitions: Map<string, RegisteredJob>;
	types: Record<string, RegisteredType>;
	/** Environment for `${NAME}` in schedules declared in code. */
	env: Record<string, string | undefined> | undefined;
	/** The zone of jobs that set none (a runtime setting). */
	defaultZone: () => string;
	/** The job's stored config error differs from what arming found. */
	onConfigError: (key: string, error: string | null) => void;
};

export class ArmedJobs {
	private readonly map = new Map<string, Armed>();
	private gen = 0;

	constructor(private readonly deps: ArmedJobsDeps) {}

	get size(): number {
		return this.map.size;
	}

	get(key: string): Armed | undefined {
		return this.map.get(key);
	}

	keys(): IterableIterator<string> {
		return this.map.keys();
	}

	values(): IterableIterator<Armed> {
		return this.map.values();
	}

	delete(key: string): void {
		this.map.delete(key);
	}

	/** Should this job be on the timer? */
	schedulable(a: Armed): a is Armed & { schedule: CompiledSchedule } {
		return a.job.enabled && a.schedule !== null && a.error === null;
	}

	zoneOf(job: Pick<CronJob, 'timezone'>): string {
		return job.timezone ?? this.deps.defaultZone();
	}

	/**
	 * Loads a job row: compiles its schedule and finds its handler, as a new generation. `from`:
	 * the instant the schedule's first run is worked out from (compileSchedule), default now.
	 */
	load(row: ArmedJob, from?: number): Armed {
		const job = armedJob(row);
		let schedule: CompiledSchedule | null = null;
		let error: string | null = isOrphaned(job) ? NO_HANDLER : null;
		const def = job.source === 'code' ? this.deps.definitions.get(job.key) : undefined;
		const type = job.source !== 'code' && Object.hasOwn(this.deps.types, job.type) ? this.deps.types[job.type]! : undefined;
		// A type disabled on this server (COMMAND_JOBS off) has nothing to run: its runs fail at once.
		const handler = type?.disabled ? null : (def?.handler ?? type?.handler ?? null);
		const spawn = type?.disabled ? null : (type?.spawn ?? null);
		if (!error && type?.disabled) error = type.disabled;
		if (!error && !handler && !spawn) error = job.source === 'code' ? NO_HANDLER : `unknown job type "${job.type}"`;
		if (!error) {
			try {
				// Only schedules declared in code read the environment.
				schedule = compileSchedule(job.schedule, this.zoneOf(job), job.source === 'code' ? this.deps.env : undefined, from);
			} catch (err) {
				error = (err as Error).message;
			}
		}
		const armed: Armed = { job, schedule, handler, spawn, isolated: def?.isolation === 'process', error, gen: ++this.gen, nextAt: null };
		this.map.set(job.key, armed);
		if ((job.configError ?? null) !== error && error !== NO_HANDLER) this.deps.onConfigError(job.key, error);
		return armed;
	}

	/** The job's params, validated (and defaulted) by its own schema; throws naming the field. */
	paramsFor(a: Armed): Record<string, unknown> {
		const { job } = a;
		const schema = job.source === 'code' ? this.deps.definitions.get(job.key)?.params : this.deps.types[job.type]?.params;
		if (!schema) return job.params;
		const parsed = schema.safeParse(job.params);
		if (!parsed.success) {
			const issue = parsed.error.issues[0];
			throw new Error(`invalid params: ${issue?.path.join('.') || 'params'} ${issue?.message ?? ''}`.trim());
		}
		return parsed.data as Record<string, unknown>;
	}
}
