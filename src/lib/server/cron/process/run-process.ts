/**
 * Runs a program in a process group of its own and makes sure nothing of it survives: when the
 * run is aborted (timeout, cancel, replace, shutdown) the whole group gets SIGTERM, then SIGKILL
 * after `killGraceMs`; when the program exits by itself, whatever it left running in its group
 * (`sh -c 'sleep 300 &'`) gets the same. A process that leaves the group (`setsid`) escapes.
 * stdout and stderr go to `onOutput` as they come; CPU and peak memory come from the sampler.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ProcessSampler, type GroupUsage } from './sampler';

export type ProcessSpec = {
	/** argv[0] is looked up in PATH; no shell unless argv names one. */
	argv: string[];
	cwd?: string;
	env: Record<string, string>;
	stdin?: string;
	killGraceMs: number;
	/** An IPC channel to the child (a Node child started with `fork`-like stdio). */
	ipc?: (message: unknown) => void;
};

export type ProcessResult = GroupUsage & {
	exitCode: number | null;
	/** The signal that ended the program, by name (ours or anyone's). */
	signal: string | null;
	/** Why it could not start (a missing program, a bad cwd), when it could not. */
	startError: string | null;
};

const sampler = new ProcessSampler();

function killGroup(pgid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pgid, signal);
	} catch {
		// the group is already gone
	}
}

/** Sends SIGTERM to the group, then SIGKILL after `graceMs` while any member remains; resolves once none does. */
async function endGroup(pgid: number, graceMs: number, first: NodeJS.Signals = 'SIGTERM'): Promise<void> {
	if (!sampler.anyAlive(pgid)) return;
	killGroup(pgid, first);
	const deadline = Date.now() + graceMs;
	while (sampler.anyAlive(pgid)) {
		if (Date.now() >= deadline) {
			killGroup(pgid, 'SIGKILL');
			// SIGKILL cannot be refused; give the kernel a moment to tear the processes down.
			for (let i = 0; i < 50 && sampler.anyAlive(pgid); i++) await new Promise((r) => setTimeout(r, 20));
			return;
		}
		await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now()))));
	}
}

function describeStartError(err: NodeJS.ErrnoException, spec: ProcessSpec): string {
	return `cannot start ${spec.argv[0]}: ${err.code ?? err.message}`;
}

export function runProcess(spec: ProcessSpec, signal: AbortSignal, onOutput: (chunk: Buffer) => void): Promise<ProcessResult> {
	return new Promise((resolve) => {
		// Node reports a missing working directory as the program missing: check it first.
		if (spec.cwd !== undefined && !existsSync(spec.cwd)) {
			resolve({ exitCode: null, signal: null, cpuMs: 0, maxRssKb: 0, startError: `cannot start ${spec.argv[0]}: the working directory ${spec.cwd} does not exist` });
			return;
		}
		let child: ChildProcess;
		try {
			child = spawn(spec.argv[0]!, spec.argv.slice(1), {
				cwd: spec.cwd,
				env: spec.env,
				detached: true, // a process group of its own
				stdio: spec.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
				windowsHide: true
			});
		} catch (err) {
			resolve({ exitCode: null, signal: null, cpuMs: 0, maxRssKb: 0, startError: describeStartError(err as NodeJS.ErrnoException, spec) });
			return;
		}
		let startError: string | null = null;
		let settled = false;
		let aborting: Promise<void> | null = null;
		const pgid = child.pid;
		if (pgid !== undefined) sampler.track(pgid);
		child.stdout!.on('data', onOutput);
		child.stderr!.on('data', onOutput);
		if (spec.ipc) child.on('message', spec.ipc);
		child.stdin!.on('error', () => undefined); // a program that never reads its stdin
		child.stdin!.end(spec.stdin ?? '');
		const onAbort = () => {
			if (pgid !== undefined) aborting ??= endGroup(pgid, spec.killGraceMs);
		};
		signal.addEventListener('abort', onAbort, { once: true });
		if (signal.aborted) onAbort();
		child.on('error', (err: NodeJS.ErrnoException) => {
			// Spawning failed (the child never ran): 'exit' may not follow.
			if (pgid === undefined || err.code === 'ENOENT' || err.code === 'EACCES') startError = describeStartError(err, spec);
			if (pgid === undefined) finish(null, null);
		});
		child.on('exit', (code, sig) => {
			void (async () => {
				// The program is gone; nothing of its group may outlive the run.
				if (pgid !== undefined) await (aborting ?? endGroup(pgid, spec.killGraceMs));
				finish(code, sig);
			})();
		});
		const finish = (code: number | null, sig: NodeJS.Signals | null) => {
			if (settled) return;
			settled = true;
			signal.removeEventListener('abort', onAbort);
			const usage = pgid !== undefined ? sampler.untrack(pgid) : { cpuMs: 0, maxRssKb: 0 };
			// Output still buffered in the pipes arrives before 'close'; do not wait on a pipe a
			// vanished grandchild kept open.
			const done = () => resolve({ exitCode: code, signal: sig, ...usage, startError });
			if (child.stdout!.readableEnded && child.stderr!.readableEnded) done();
			else {
				const t = setTimeout(done, 200);
				child.once('close', () => {
					clearTimeout(t);
					done();
				});
			}
		};
	});
}
