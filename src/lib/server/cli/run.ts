/** `run <key>` and `trigger <key>`: one run now in this process, or one queued for the workers. */
import { CLI_ACTOR } from '../audit/actor';
import { ServiceError } from '../errors';
import type { Services } from '../runtime';
import { out } from './format';
import { onInterrupt } from './session';

/** A missing job as one line that says where to look. */
async function requireJob(rt: Services, key: string): Promise<void> {
	try {
		await rt.cron.getJob(key);
	} catch (err) {
		if (err instanceof ServiceError && err.code === 'not_found') {
			throw new Error(`no job "${key}" (list them with: npm run cron -- jobs)`, { cause: err });
		}
		throw err;
	}
}

/** The handler's `{ message }`, if any (tolerating a result stored as JSON text). */
function resultMessage(result: unknown): string | undefined {
	if (typeof result === 'string') {
		try {
			return resultMessage(JSON.parse(result));
		} catch {
			return undefined;
		}
	}
	if (result && typeof result === 'object' && 'message' in result && typeof result.message === 'string') return result.message;
	return undefined;
}

/** Ctrl-C cancels the run this process holds (the scheduler aborts it at its next lease check). */
function cancelOnInterrupt(rt: Services): void {
	onInterrupt(() => {
		void (async () => {
			const held = await rt.sql<{ id: number }[]>`
				select id from cron_job_execution where status = 'running' and instance_id = ${rt.scheduler.instanceId}`;
			for (const { id } of held) {
				process.stderr.write(`cronkit: cancelling run ${id} (press Ctrl-C again to quit at once)\n`);
				await rt.cron.cancelExecution(id, CLI_ACTOR).catch(() => undefined);
			}
		})();
	});
}

export async function runCommand(rt: Services, key: string): Promise<number> {
	await requireJob(rt, key);
	cancelOnInterrupt(rt);
	const { id } = await rt.scheduler.runNow(key, 'cli');
	const run = await rt.cron.getExecution(id);
	if (run.output) await out(run.output);
	const took = run.durationMs === null ? '' : ` in ${run.durationMs} ms`;
	if (run.status === 'succeeded') {
		const message = resultMessage(run.result);
		await out(`run ${id} of ${key} succeeded${took}${message ? `: ${message}` : ''}`);
		return 0;
	}
	await out(`run ${id} of ${key} ${run.status}${took}${run.errorMessage ? `: ${run.errorMessage}` : ''}`, process.stderr);
	return 1;
}

export async function triggerCommand(rt: Services, key: string, opts: { json: boolean }): Promise<number> {
	await requireJob(rt, key);
	const execution = await rt.cron.trigger(key, 'manual', CLI_ACTOR);
	await out(opts.json ? JSON.stringify({ execution }) : `queued run ${execution.id} of ${key}`);
	return 0;
}
