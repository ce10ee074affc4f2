/**
 * Command jobs and isolated code jobs: real programs in process groups of their own, real
 * PostgreSQL. Exit codes and signals, timeouts that kill a whole process tree, cancel and
 * replace, live output, capped output, CPU and memory, environment, start failures, shutdown.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { isolatedTestJobs, testIsolation } from '../../../../tests/helpers/isolated-jobs';
import { eventually, instance, testJobTypes, type Instance } from '../../../../tests/helpers/scheduler';
import { COMMAND_JOBS_DISABLED } from './command-job';
import { syncCodeJobs } from './jobs';
import { OUTPUT_HEAD_BYTES, OUTPUT_TAIL_BYTES } from './output';
import type { ExecutionView } from './executions';

let t: TestDatabase;
let a: Instance;
const actor = { name: 'test' };

beforeAll(async () => {
	t = await createTestDatabase();
	a = instance(t, isolatedTestJobs, { types: testJobTypes(undefined, { commandJobs: true }), isolation: testIsolation(t.url), leaseMs: 10_000 });
	await a.scheduler.start();
});
afterAll(async () => {
	await a.scheduler.close(2_000);
	await t.drop();
});

let n = 0;
async function commandJob(params: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> {
	const key = `cmd-${++n}`;
	await a.service.createJob({ key, name: key, type: 'command', schedule: '0 0 1 1 *', params, ...extra }, actor);
	return key;
}

async function finished(id: number, timeoutMs = 20_000): Promise<ExecutionView> {
	return eventually(async () => {
		const e = await a.service.getExecution(id);
		return e.status !== 'queued' && e.status !== 'running' ? e : null;
	}, timeoutMs);
}

async function runOnce(params: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<ExecutionView> {
	const key = await commandJob(params, extra);
	const { id } = await a.service.trigger(key, 'api', actor);
	return finished(id);
}

/** Is this pid still a live process (not gone, not a zombie)? */
function alive(pid: number): boolean {
	try {
		return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
	} catch {
		return false;
	}
}

const pidsIn = (output: string | null) => [...(output ?? '').matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));

describe('command jobs', () => {
	it('exit 0 succeeds, exit N fails with its code, a signal fails with its name', async () => {
		expect(await runOnce({ argv: ['true'] })).toMatchObject({ status: 'succeeded', exitCode: 0, signal: null });
		expect(await runOnce({ argv: ['sh', '-c', 'exit 3'] })).toMatchObject({ status: 'failed', errorMessage: 'exit code 3', exitCode: 3 });
		expect(await runOnce({ argv: ['sh', '-c', 'kill -TERM $$'] })).toMatchObject({ status: 'failed', errorMessage: 'killed by SIGTERM', signal: 'SIGTERM' });
	});

	it('a timeout ends the whole process tree, grandchildren and a program that ignores SIGTERM included', async () => {
		const script = 'trap "" TERM; sleep 300 & echo pid $!; sh -c \'sleep 300\' & echo pid $!; echo pid $$; wait';
		const e = await runOnce({ argv: ['sh', '-c', script], killGraceMs: 300 }, { timeoutMs: 1_000 });
		expect(e).toMatchObject({ status: 'timed_out', errorMessage: 'timed out after 1000 ms' });
		const pids = pidsIn(e.output);
		expect(pids).toHaveLength(3);
		await eventually(async () => pids.every((p) => !alive(p)), 5_000);
		// The slot is free once the group is gone.
		expect(await scalar<number>(t.sql`select count(*)::int from cron_job_execution where exclusive`)).toBe(0);
	});

	it('what a program leaves running in its group when it exits is ended too', async () => {
		const e = await runOnce({ argv: ['sh', '-c', 'sleep 300 & echo pid $!'], killGraceMs: 200 });
		expect(e.status).toBe('succeeded');
		const [pid] = pidsIn(e.output);
		expect(alive(pid!)).toBe(false);
	});

	it('Cancel and overlap replace end the running program', async () => {
		const key = await commandJob({ argv: ['sh', '-c', 'echo pid $$; exec sleep 300'], killGraceMs: 200 });
		const { id } = await a.service.trigger(key, 'api', actor);
		const running = await eventually(async () => {
			const out = await a.service.executionOutput(id, {});
			return pidsIn(out.output)[0];
		});
		await a.service.cancelExecution(id, actor);
		expect(await finished(id)).toMatchObject({ status: 'cancelled' });
		await eventually(async () => !alive(running), 5_000);

		const replaced = await commandJob({ argv: ['sh', '-c', 'echo pid $$; exec sleep 300'], killGraceMs: 200 }, { overlap: 'replace' });
		await a.service.updateJob(replaced, { schedule: '* * * * * *' }, actor);
		const first = await eventually(async () => {
			const [r] = await t.sql<{ id: number }[]>`select id from cron_job_execution where job_id = ${replaced} and status = 'cancelled' limit 1`;
			return r;
		}, 10_000);
		await a.service.updateJob(replaced, { enabled: false }, actor);
		const pid = pidsIn((await a.service.getExecution(first.id)).output)[0]!;
		expect((await a.service.getExecution(first.id)).errorMessage).toMatch(/replaced by run \d+/);
		await eventually(async () => !alive(pid), 5_000);
	});

	it('output is readable live through the API, by byte offsets', async () => {
		const key = await commandJob({ argv: ['sh', '-c', 'echo first; sleep 1.5; echo second'] });
		const { id } = await a.service.trigger(key, 'api', actor);
		const live = await eventually(async () => {
			const r = await a.service.executionOutput(id, { offset: '0' });
			return r.output.includes('first') ? r : null;
		});
		expect(live).toEqual({ output: 'first\n', offset: 6, done: false });
		await finished(id);
		expect(await a.service.executionOutput(id, { offset: '6' })).toEqual({ output: 'second\n', offset: 13, done: true });
		await expect(a.service.executionOutput(id, { offset: '-1' })).rejects.toMatchObject({ status: 400, issues: [{ path: 'offset' }] });
	});

	it('keeps the first and the last 64 KB of a long output, with a marker; a reader in the gap gets the marker and the tail', async () => {
		const program = "process.stdout.write('H'.repeat(70000)); process.stdout.write('M'.repeat(200000)); process.stdout.write('T'.repeat(70000))";
		const e = await runOnce({ argv: [process.execPath, '-e', program] });
		expect(e.status).toBe('succeeded');
		expect(e.outputBytes).toBe(340_000);
		const omitted = 340_000 - OUTPUT_HEAD_BYTES - OUTPUT_TAIL_BYTES;
		expect(e.output).toBe('H'.repeat(OUTPUT_HEAD_BYTES) + `\n… ${omitted} bytes of output left out …\n` + 'T'.repeat(OUTPUT_TAIL_BYTES));
		const gap = await a.service.executionOutput(e.id, { offset: '100000' });
		expect(gap.output.startsWith(`\n… ${omitted} bytes of output left out …\n`)).toBe(true);
		expect(gap.output.endsWith('T'.repeat(1000))).toBe(true);
		expect(gap.offset).toBe(340_000);
	});

	it('records CPU and peak memory plausibly', async () => {
		// Burns 800 ms of CPU (not of wall time: a loaded machine gives it less CPU per second).
		const burn = await runOnce({ argv: [process.execPath, '-e', 'while (process.cpuUsage().user < 800_000) {}'] });
		expect(burn.status).toBe('succeeded');
		expect(burn.cpuMs).toBeGreaterThanOrEqual(600);
		expect(burn.cpuMs).toBeLessThan(5_000);
		const big = await runOnce({ argv: [process.execPath, '-e', 'const b = Buffer.alloc(200 * 1024 * 1024, 1); setTimeout(() => b.length, 600)'] });
		expect(big.status).toBe('succeeded');
		expect(big.maxRssKb).toBeGreaterThan(200 * 1024);
		expect(big.maxRssKb).toBeLessThan(400 * 1024);
	});

	it("gets the server's environment less its secrets, its own env and the run's variables, and stdin", async () => {
		process.env.CRON_SECRET = 'a-secret-the-program-must-not-see';
		process.env.SMTP_URL = 'smtp://user:pass@127.0.0.1:2525';
		try {
			const e = await runOnce({ argv: ['sh', '-c', 'env; cat'], env: { GREETING: 'hi there' }, stdin: 'from stdin' });
			expect(e.status).toBe('succeeded');
			expect(e.output).not.toContain('a-secret-the-program-must-not-see');
			expect(e.output).not.toContain('smtp://');
			expect(e.output).toContain('GREETING=hi there');
			expect(e.output).toContain(`CRONKIT_EXECUTION_ID=${e.id}`);
			expect(e.output).toContain(`CRONKIT_JOB_KEY=${e.jobKey}`);
			expect(e.output).toContain('CRONKIT_ATTEMPT=1');
			expect(e.output).toMatch(/from stdin$/);
		} finally {
			delete process.env.CRON_SECRET;
			delete process.env.SMTP_URL;
		}
	});

	it('a program that cannot start fails at once with a clear message', async () => {
		const missing = await runOnce({ argv: ['no-such-program-for-cronkit'] });
		expect(missing).toMatchObject({ status: 'failed', errorMessage: 'cannot start no-such-program-for-cronkit: ENOENT' });
		const badCwd = await runOnce({ argv: ['true'], cwd: '/no/such/directory' });
		expect(badCwd).toMatchObject({ status: 'failed', errorMessage: 'cannot start true: the working directory /no/such/directory does not exist' });
	});

	it('50 runs started in the same second all run', async () => {
		const key = await commandJob({ argv: ['sh', '-c', 'sleep 1'] }, { overlap: 'allow' });
		const ids = await Promise.all(Array.from({ length: 50 }, () => a.service.trigger(key, 'api', actor).then((r) => r.id)));
		const runs = await Promise.all(ids.map((id) => finished(id, 30_000)));
		expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
	});

	it('bad params are a 400 naming the field', async () => {
		const bad = (params: unknown) => a.service.createJob({ key: `bad-${++n}`, name: 'Bad', type: 'command', schedule: '0 0 1 1 *', params }, actor);
		await expect(bad({ argv: [] })).rejects.toMatchObject({ status: 400, issues: [{ path: 'params.argv' }] });
		await expect(bad({ argv: ['x'.repeat(4097)] })).rejects.toMatchObject({ status: 400, issues: [{ path: 'params.argv.0' }] });
		await expect(bad({ argv: Array.from({ length: 257 }, () => 'a') })).rejects.toMatchObject({ status: 400, issues: [{ path: 'params.argv' }] });
		await expect(bad({ argv: ['ls'], cwd: 'relative/dir' })).rejects.toMatchObject({ status: 400, issues: [{ path: 'params.cwd' }] });
		await expect(bad({ argv: ['ls'], env: { N: 1 } })).rejects.toMatchObject({ status: 400, issues: [{ path: 'params.env.N' }] });
		await expect(bad({ argv: ['ls'], killGraceMs: 60_001 })).rejects.toMatchObject({ status: 400, issues: [{ path: 'params.killGraceMs' }] });
	});
});

describe('isolated code jobs', () => {
	it('run in a child process with params, log and database access, and report their result', async () => {
		await syncCodeJobs(t.sql, isolatedTestJobs);
		const { id } = await a.service.trigger('isolated-ok', 'api', actor);
		const e = await finished(id);
		expect(e).toMatchObject({ status: 'succeeded', exitCode: 0, result: { message: 'saw my own row: 1' } });
		expect(e.output).toMatch(/^hello from pid \d+\n$/);
		expect((e.result as { metrics: { pid: number } }).metrics.pid).not.toBe(process.pid);
		const thrown = await finished((await a.service.trigger('isolated-throws', 'api', actor)).id);
		expect(thrown).toMatchObject({ status: 'failed', errorMessage: 'broken in the child', exitCode: 1 });
		expect(thrown.errorStack).toContain('broken in the child');
	});

	it('a CPU loop that never checks its signal is stopped at its timeout, and the forbid slot is released', async () => {
		const { id } = await a.service.trigger('busy-loop', 'api', actor);
		const e = await finished(id);
		expect(e).toMatchObject({ status: 'timed_out', errorMessage: 'timed out after 500 ms' });
		await eventually(async () => (await scalar<number>(t.sql`select count(*)::int from cron_job_execution where job_id = 'busy-loop' and exclusive`)) === 0, 10_000);
		expect(['SIGTERM', 'SIGKILL']).toContain((await a.service.getExecution(id)).signal);
	});
});

describe('with COMMAND_JOBS off', () => {
	it('creating one is refused naming type; a stored one is misconfigured and a triggered run fails at once', async () => {
		const off = instance(t, [], { types: testJobTypes() });
		await expect(off.service.createJob({ key: 'nope', name: 'Nope', type: 'command', schedule: '0 0 1 1 *', params: { argv: ['true'] } }, actor)).rejects.toMatchObject({
			status: 400,
			issues: [{ path: 'type' }]
		});
		const stored = await commandJob({ argv: ['true'] });
		await off.scheduler.start();
		try {
			await eventually(async () => (await off.service.getJob(stored)).state === 'misconfigured');
			expect((await off.service.getJob(stored)).configError).toBe(COMMAND_JOBS_DISABLED);
			await a.scheduler.close(1_000);
			const { id } = await off.service.trigger(stored, 'api', actor);
			expect(await finished(id)).toMatchObject({ status: 'failed', errorMessage: COMMAND_JOBS_DISABLED });
		} finally {
			await off.scheduler.close(1_000);
		}
	});
});

describe('shutdown', () => {
	it('a command still running past the grace period is interrupted and its whole group killed', async () => {
		const b = instance(t, [], { types: testJobTypes(undefined, { commandJobs: true }), name: 'stopping' });
		const key = await commandJob({ argv: ['sh', '-c', 'trap "" TERM; echo pid $$; while true; do sleep 0.1; done'], killGraceMs: 300 });
		await a.scheduler.stop(1_000); // b alone takes the run (a stays stopped: this test is last)
		try {
			await b.scheduler.start();
			const { id } = await b.service.trigger(key, 'api', actor);
			const pid = await eventually(async () => pidsIn((await b.service.executionOutput(id, {})).output)[0]);
			const stoppedAt = Date.now();
			await b.scheduler.stop(500);
			expect(Date.now() - stoppedAt).toBeLessThan(5_000);
			expect(alive(pid)).toBe(false);
			expect(await b.service.getExecution(id)).toMatchObject({ status: 'interrupted', errorMessage: 'instance stopping shut down before the run finished' });
		} finally {
			await b.scheduler.close(1_000);
		}
	});
});
