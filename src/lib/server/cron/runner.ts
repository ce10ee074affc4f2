/**
 * Runs handlers: prepares a claimed run (context, signal, params, output) right after its claim,
 * starts it at its instant (by the local clock and the database's, whichever is later), stops it
 * at its timeout, aborts it on cancel, replace, a lost lease or shutdown, and hands its outcome
 * to the outcome writer. A run stays "active" here until its outcome is durable, so its lease
 * keeps being renewed meanwhile.
 */
import { fireLag } from '../metrics';
import type { Armed, ArmedJobs } from './armed';
import { delay } from './clock';
import type { Engine } from './engine';
import * as ledger from './ledger';
import type { ClaimedRun, Outcome } from './ledger';
import { OutputBuffer, type OutputSnapshot } from './output';
import type { OutcomeWriter } from './outcomes';
import { commandEnvironment, runJobProcess, runVariables, type JobProcess } from './process/job-process';
import type { JobContext } from './types';

/** How isolated code jobs start their child: the entry's argv and the environment it needs. */
export type Isolation = { argv: string[]; env: Record<string, string> };

export type Active = {
	run: ClaimedRun;
	controller: AbortController;
	timedOut: boolean;
	/** Why the signal was aborted by us (cancel, lease lost, shutdown). */
	abortedFor: string | null;
	done: Promise<Outcome['status']>;
	fromQueue: boolean;
	/** Monotonic time until which the lease surely holds (last renewal sent + lease). */
	leaseUntil: number;
	/** What the run printed so far (live: written to the ledger as it grows). */
	output: OutputBuffer;
	/** What its own process did (command and isolated runs). */
	process: ledger.ProcessStats | null;
	/** For a run with a process of its own: how long its group has between SIGTERM and SIGKILL. */
	killGraceMs: number | null;
};

/** A run ready to start: built right after its claim, so starting a burst costs little more than the handler calls. */
export type Prepared = {
	active: Active;
	/** Unset when the job was not loaded here yet: loaded when the run starts. */
	armed: Armed | undefined;
	/** The handler's context, or why it cannot be built (invalid params); null: built at the start. */
	context: JobContext | Error | null;
};

/** Marks thrown by our own signal so a handler's rejection is read correctly. */
export class RunAborted extends Error {
	override name = 'AbortError';
}

export function interruptedOutcome(id: number, why: string, owner: string): Outcome {
	return { id, status: 'interrupted', durationMs: null, output: null, result: null, errorMessage: why, errorStack: null, release: true, owner };
}

/** How long an isolated handler gets to stop after SIGTERM before SIGKILL. */
const ISOLATED_KILL_GRACE_MS = 5_000;

/** A local clock further behind the database's than this is not waited for. */
const LOCAL_CLOCK_WAIT_MAX_MS = 100;

/** Below this many ms to an instant, wait by spinning: timers may fire a little early. */
const SPIN_MS = 2;

/** Busy-waits a sub-millisecond remainder (a timer cannot be that precise). */
function spin(ms: number): void {
	const until = performance.now() + ms;
	while (performance.now() < until) {
		// waiting
	}
}

export class Runner {
	readonly active = new Map<number, Active>();
	private queued = 0;

	constructor(
		private readonly engine: Engine,
		private readonly jobs: ArmedJobs,
		private readonly outcomes: OutcomeWriter,
		private readonly deps: {
			/** Loads a job this instance has not armed (a run claimed right after its creation). */
			loadJob: (key: string) => Promise<Armed | undefined>;
			/** A queued run finished: room for another. */
			onQueuedDone: () => void;
			isRunning: () => boolean;
			/** A run printed into clean output: the live output writer is due. */
			onOutput: () => void;
			/** Writes that must happen eventually (tried again while the database is away). */
			defer: (name: string, write: () => Promise<unknown>) => void;
			/** How isolated code jobs start their child; undefined where it cannot (no build). */
			isolation?: Isolation;
		}
	) {}

	/** How many runs claimed from the queue are going (the concurrency limit counts them). */
	get queuedActive(): number {
		return this.queued;
	}

	prepare(run: ClaimedRun, fromQueue: boolean): Prepared {
		const controller = new AbortController();
		const active: Active = {
			run,
			controller,
			timedOut: false,
			abortedFor: null,
			fromQueue,
			done: Promise.resolve('succeeded'),
			leaseUntil: this.engine.clock.monotonic() + this.engine.timing.leaseMs,
			output: new OutputBuffer(this.deps.onOutput),
			process: null,
			killGraceMs: null
		};
		// A job edited after this instance loaded it (its change notice not yet handled) is
		// loaded afresh before the run starts.
		const loaded = this.jobs.get(run.jobKey);
		const armed = loaded && run.jobUpdatedAt && loaded.job.updatedAt.getTime() !== run.jobUpdatedAt.getTime() ? undefined : loaded;
		return { active, armed, context: armed && (armed.handler || armed.spawn) ? this.contextOf(armed, active) : null };
	}

	execute(run: ClaimedRun, fromQueue: boolean): Active {
		const p = this.prepare(run, fromQueue);
		this.launch(p);
		return p.active;
	}

	/**
	 * Starts claimed runs at their instant: once both the local clock and the database's (as
	 * estimated) have reached it, never before. Then records when they started, in one statement.
	 */
	async startAt(prepared: Prepared[]): Promise<void> {
		if (!prepared.length) return;
		const { clock, time, instanceId } = this.engine;
		const at = Math.min(...prepared.map((p) => p.active.run.scheduledFor?.getTime() ?? 0));
		// The database's clock reaches `at` this far ahead on the monotonic clock (immune to a
		// wall-clock step while we wait). The local wall clock must reach it too, unless it is
		// so far behind that waiting for it would make the run late (it is then reported skewed).
		const dbAt = clock.monotonic() + (at - time.earliestNow());
		const left = () => {
			const db = dbAt - clock.monotonic();
			const local = at - clock.now();
			return local - db > LOCAL_CLOCK_WAIT_MAX_MS ? db : Math.max(db, local);
		};
		for (let ms = left(); ms > 0; ms = left()) {
			if (ms > SPIN_MS) await delay(clock, ms - SPIN_MS);
			else spin(ms);
		}
		if (!this.deps.isRunning()) {
			// Stopped between claim and instant: hand the runs back as interrupted.
			const why = `instance ${instanceId} stopped before the run started`;
			await this.outcomes.complete(
				prepared.map((p) => interruptedOutcome(p.active.run.id, why, instanceId)),
				Math.min(...prepared.map((p) => p.active.leaseUntil))
			);
			return;
		}
		const startedAt = new Date(time.now());
		for (const p of prepared) this.launch(p);
		const started = prepared.map((p) => ({ id: p.active.run.id, at: startedAt }));
		this.deps.defer(`started:${started[0]!.id}`, () => ledger.markStarted(this.engine.sql, started));
	}

	/** The handler's context; an Error when its params do not validate (the run fails with it). */
	private contextOf(armed: Armed, { run, controller, output }: Active): JobContext | Error {
		try {
			return {
				signal: controller.signal,
				log: output.log.bind(output),
				params: this.jobs.paramsFor(armed),
				db: this.engine.db,
				execution: { id: run.id, jobKey: run.jobKey, attempt: run.attempt, trigger: run.trigger, scheduledFor: run.scheduledFor }
			};
		} catch (err) {
			return err instanceof Error ? err : new Error(String(err));
		}
	}

	launch(prepared: Prepared): void {
		const { active } = prepared;
		const { run, fromQueue } = active;
		this.active.set(run.id, active);
		if (fromQueue) this.queued++;
		if (run.trigger === 'schedule' && run.scheduledFor) fireLag.observe(Math.max(0, this.engine.clock.now() - run.scheduledFor.getTime()) / 1000);
		active.done = this.runHandler(prepared)
			.catch((err: unknown) => {
				// Never an unhandled rejection (it would end the process): say so, count it failed.
				this.engine.log.error({ err, execution: run.id }, 'run ended unexpectedly');
				return 'failed' as const;
			})
			.finally(() => {
				this.active.delete(run.id);
				if (fromQueue) {
					this.queued--;
					this.deps.onQueuedDone();
				}
			});
	}

	private async runHandler(prepared: Prepared): Promise<Outcome['status']> {
		const { active } = prepared;
		const { run, controller, output } = active;
		const { clock, instanceId } = this.engine;
		let armed: Armed | undefined;
		let loadError: string | null = null;
		try {
			armed = prepared.armed ?? (await this.deps.loadJob(run.jobKey));
		} catch (err) {
			// The database did not answer (a frozen server, an outage): the run fails naming why,
			// and its retry policy applies.
			loadError = `could not load job ${run.jobKey}: ${err instanceof Error ? err.message : String(err)}`;
		}
		const started = clock.monotonic();
		let timer;
		const finish = (o: Omit<Outcome, 'id' | 'output' | 'durationMs' | 'owner'>) =>
			this.outcomes.complete(
				[{ id: run.id, output: output.snapshot(), durationMs: Math.round(clock.monotonic() - started), owner: instanceId, process: active.process, ...o }],
				active.leaseUntil,
				active.fromQueue && o.release
			);
		if (!armed || (!armed.handler && !armed.spawn)) {
			await finish({ status: 'failed', result: null, errorMessage: loadError ?? armed?.error ?? `job ${run.jobKey} no longer exists`, errorStack: null, release: true });
			return 'failed';
		}
		const timeoutMs = armed.job.timeoutMs;
		let status: Outcome['status'];
		let outcome: Omit<Outcome, 'id' | 'output' | 'durationMs' | 'owner'>;
		try {
			const context = prepared.context ?? this.contextOf(armed, active);
			if (context instanceof Error) throw context;
			const proc = this.processOf(armed, context, run);
			if (proc) active.killGraceMs = proc.plan.killGraceMs;
			const pending = proc
				? runJobProcess(proc, controller.signal, output, (stats) => (active.process = stats))
				: Promise.resolve(armed.handler!(context));
			timer = clock.setTimeout(() => {
				active.timedOut = true;
				controller.abort(new RunAborted(`timed out after ${timeoutMs} ms`));
				// The run is timed_out now; a handler that ignores its signal keeps the job's
				// slot (and its lease renewed) until it really stops.
				void finish({ status: 'timed_out', result: null, errorMessage: `timed out after ${timeoutMs} ms`, errorStack: null, release: false });
			}, timeoutMs);
			const result = await pending;
			status = 'succeeded';
			outcome = { status, result: result ?? null, errorMessage: null, errorStack: null, release: true };
		} catch (err) {
			const e = err instanceof Error ? err : new Error(String(err));
			status = active.abortedFor ? 'cancelled' : 'failed';
			outcome = {
				status,
				result: null,
				errorMessage: active.abortedFor ? `${active.abortedFor}: ${e.message}` : e.message,
				errorStack: e.stack ?? null,
				release: true
			};
		} finally {
			clock.clearTimeout(timer);
		}
		if (!active.timedOut) {
			await finish(outcome);
			return status;
		}
		// Free the slot now that the handler has stopped; the timed_out status stays.
		await this.outcomes.complete(
			[
				{
					id: run.id,
					status: 'timed_out',
					durationMs: null,
					output: output.snapshot(),
					result: null,
					errorMessage: null,
					errorStack: null,
					release: true,
					owner: instanceId,
					process: active.process
				}
			],
			active.leaseUntil,
			active.fromQueue
		);
		return 'timed_out';
	}

	/** The process a run starts, if its job runs as one: a command, or an isolated handler. */
	private processOf(armed: Armed, ctx: JobContext, run: ClaimedRun): JobProcess | null {
		if (armed.spawn) {
			const plan = armed.spawn(ctx.params);
			return { plan, env: commandEnvironment(process.env, plan, run), ipc: false };
		}
		if (!armed.isolated) return null;
		const iso = this.deps.isolation;
		if (!iso) throw new Error('isolated jobs cannot run here: the worker entry (build/cli/isolated-child.js) is not built');
		const { execution } = ctx;
		return {
			plan: {
				argv: iso.argv,
				stdin: JSON.stringify({ key: armed.job.key, params: ctx.params, execution: { ...execution, scheduledFor: execution.scheduledFor?.toISOString() ?? null } }),
				killGraceMs: ISOLATED_KILL_GRACE_MS
			},
			env: { ...(process.env as Record<string, string>), ...iso.env, ...runVariables(run) },
			ipc: true
		};
	}


	abort(ids: Iterable<number>, reason: string): void {
		for (const id of ids) {
			const a = this.active.get(id);
			if (a && !a.controller.signal.aborted) {
				a.abortedFor = reason;
				a.controller.abort(new RunAborted(reason));
			}
		}
	}

	/**
	 * Leases renewed (statement sent at monotonic `sentAt`): `held` says which runs are still
	 * ours and their status. A run missing from it lost its lease; a cancelled one is stopped.
	 */
	renewed(ids: number[], held: Map<number, string>, sentAt: number): void {
		for (const id of ids) {
			const a = this.active.get(id);
			if (!a) continue;
			const status = held.get(id);
			if (status !== undefined) a.leaseUntil = sentAt + this.engine.timing.leaseMs;
			if (a.controller.signal.aborted) continue;
			if (status === undefined) this.abort([id], 'lease lost (the run was recovered by another instance)');
			else if (status === 'cancelled') this.abort([id], 'cancelled');
		}
	}

	/**
	 * Aborts runs and waits until they have stopped: a process's group gets its kill grace (then
	 * SIGKILL), an in-process handler a moment (one that ignores its signal cannot be waited for).
	 */
	async abortAndWait(runs: Active[], reason: string): Promise<void> {
		this.abort(
			runs.map((a) => a.run.id),
			reason
		);
		const waitMs = Math.max(0, ...runs.map((a) => a.killGraceMs ?? 0)) + 1_000;
		let timer;
		await Promise.race([Promise.all(runs.map((a) => a.done)), new Promise((r) => (timer = this.engine.clock.setTimeout(() => r(undefined), waitMs)))]);
		this.engine.clock.clearTimeout(timer);
	}

	/** Runs that printed since the last call, with their output so far (for the live writer). */
	takeDirtyOutputs(): { id: number; output: OutputSnapshot }[] {
		const out: { id: number; output: OutputSnapshot }[] = [];
		for (const a of this.active.values()) {
			if (!a.output.dirty) continue;
			const output = a.output.snapshot();
			if (output) out.push({ id: a.run.id, output });
		}
		return out;
	}

	/** Runs whose lease has surely passed (renewals failed for longer than the lease): abort them. */
	abortExpired(): number[] {
		const now = this.engine.clock.monotonic();
		const expired = [...this.active.values()].filter((a) => now > a.leaseUntil && !a.controller.signal.aborted).map((a) => a.run.id);
		this.abort(expired, 'lease lost (it could not be renewed for longer than the lease)');
		return expired;
	}
}
