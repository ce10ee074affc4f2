/**
 * The child process of an isolated code job (`isolation: 'process'`): reads the run on stdin,
 * runs the job's handler with params, signal, log and database access as in the worker, and
 * reports the result or the error over IPC before exiting. SIGTERM aborts the handler's signal;
 * a handler that ignores it is killed by the parent after the grace period.
 *
 *   node build/cli/isolated-child.js   (the runner starts it; stdin: {key, params, execution})
 *
 * The entry (cli/isolated-child.ts) passes the code-job registry; tests pass their own jobs.
 */
import { inspect } from 'node:util';
import { wrap, openPool } from '../../db';
import type { Trigger } from '../../db/schema';
import type { RegisteredJob } from '../types';
import type { ChildMessage } from './job-process';

type Input = {
	key: string;
	params: Record<string, unknown>;
	execution: { id: number; jobKey: string; attempt: number; trigger: Trigger; scheduledFor: string | null };
};

async function readStdin(): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const c of process.stdin) chunks.push(c as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

function send(message: ChildMessage): Promise<void> {
	return new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));
}

/** Runs the handler of the job named on stdin among `definitions`, then exits. */
export async function runIsolatedChild(definitions: RegisteredJob[]): Promise<never> {
	const controller = new AbortController();
	process.on('SIGTERM', () => controller.abort(new Error('terminated')));
	const input = JSON.parse(await readStdin()) as Input;
	const def = definitions.find((d) => d.key === input.key);
	const url = process.env.CRONKIT_DATABASE_URL;
	const sql = url ? openPool(url, 2) : undefined;
	let code = 0;
	try {
		if (!def) throw new Error(`no handler registered in code for ${input.key}`);
		if (!sql) throw new Error('CRONKIT_DATABASE_URL is not set');
		const result = await def.handler({
			signal: controller.signal,
			log: (...args: unknown[]) =>
				void process.stdout.write(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 4, breakLength: Infinity }))).join(' ') + '\n'),
			params: input.params,
			db: wrap(sql),
			execution: { ...input.execution, scheduledFor: input.execution.scheduledFor ? new Date(input.execution.scheduledFor) : null }
		});
		await send({ result: result ?? null });
	} catch (err) {
		const e = err instanceof Error ? err : new Error(String(err));
		code = 1;
		await send({ error: { message: e.message, stack: e.stack ?? null } });
	} finally {
		await sql?.end({ timeout: 1 });
	}
	process.exit(code);
}
