/**
 * A run as a process of its own: a command job's program, or an isolated code job's handler in
 * a child of the worker entry. It starts the program with the run's environment, streams its
 * output into the run's buffer, and turns how it ended into the run's result: exit 0 succeeds,
 * exit N fails with `exit code N`, a signal fails with `killed by SIGTERM`; stopped by us
 * (timeout, cancel, shutdown), it throws the reason the runner gave.
 */
import type { ClaimedRun, ProcessStats } from '../ledger';
import type { OutputBuffer } from '../output';
import type { JobResult, ProcessPlan } from '../types';
import { runProcess } from './run-process';

/** Configuration secrets a command never sees in its environment. */
export const CONFIG_SECRETS = ['DATABASE_URL', 'CRON_SECRET', 'ADMIN_PASSWORD', 'SMTP_URL', 'SECRET_KEY'] as const;

/** What every run's process is told about its run. */
export function runVariables(run: ClaimedRun): Record<string, string> {
	return {
		CRONKIT_JOB_KEY: run.jobKey,
		CRONKIT_EXECUTION_ID: String(run.id),
		CRONKIT_ATTEMPT: String(run.attempt),
		CRONKIT_SCHEDULED_FOR: run.scheduledFor?.toISOString() ?? ''
	};
}

/** The server's environment less its configuration secrets, plus the plan's and the run's variables. */
export function commandEnvironment(base: NodeJS.ProcessEnv, plan: ProcessPlan, run: ClaimedRun): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [k, v] of Object.entries(base)) if (v !== undefined && !(CONFIG_SECRETS as readonly string[]).includes(k)) env[k] = v;
	return { ...env, ...plan.env, ...runVariables(run) };
}

/** What an isolated handler's child sends back over IPC before it exits. */
export type ChildMessage = { result: JobResult | null } | { error: { message: string; stack: string | null } };

export type JobProcess = {
	plan: ProcessPlan;
	/** The full environment of the process. */
	env: Record<string, string>;
	/** An isolated handler: its result or error comes over IPC. */
	ipc: boolean;
};

/** Runs the process; resolves with the run's result or throws why it failed. Stats go to `onStats` either way. */
export async function runJobProcess(
	p: JobProcess,
	signal: AbortSignal,
	output: OutputBuffer,
	onStats: (stats: ProcessStats) => void
): Promise<JobResult> {
	let message: ChildMessage | null = null;
	const result = await runProcess(
		{
			argv: p.plan.argv,
			cwd: p.plan.cwd,
			env: p.env,
			stdin: p.plan.stdin,
			killGraceMs: p.plan.killGraceMs,
			ipc: p.ipc ? (m) => (message = m as ChildMessage) : undefined
		},
		signal,
		(chunk) => output.write(chunk)
	);
	onStats({ exitCode: result.exitCode, signal: result.signal, cpuMs: result.cpuMs, maxRssKb: result.maxRssKb });
	if (result.startError) throw new Error(result.startError);
	// Stopped by us: the runner knows why (timeout, cancel, shutdown).
	if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
	const reply = message as ChildMessage | null;
	if (reply && 'error' in reply) {
		const e = new Error(reply.error.message);
		e.stack = reply.error.stack ?? undefined;
		throw e;
	}
	if (result.signal) throw new Error(`killed by ${result.signal}`);
	if (result.exitCode !== 0) throw new Error(`exit code ${result.exitCode}`);
	if (reply) return reply.result ?? undefined;
	return { message: 'exit code 0' };
}
