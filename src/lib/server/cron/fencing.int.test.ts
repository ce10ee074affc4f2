/**
 * Fencing: a process frozen (SIGSTOP) for twice its lease, then resumed, changes nothing. Its
 * run was recovered elsewhere meanwhile; its late success is refused by the ledger, and its
 * handler is aborted within one renewal period of resuming.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { fencedJob } from '../../../../tests/helpers/fenced-job';
import { eventually, instance, type Instance } from '../../../../tests/helpers/scheduler';

const LEASE_MS = 1_500;
const RENEWAL_MS = LEASE_MS / 3;

let t: TestDatabase;
let child: ChildProcessWithoutNullStreams | undefined;
let survivor: Instance | undefined;
const lines: { text: string; at: number }[] = [];

beforeAll(async () => {
	t = await createTestDatabase();
});
afterAll(async () => {
	child?.kill('SIGCONT');
	child?.kill('SIGKILL');
	await survivor?.scheduler.close(1000);
	await t.drop();
});

function spawnScheduler(): ChildProcessWithoutNullStreams {
	const root = path.resolve(import.meta.dirname, '../../../..');
	const p = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/scheduler-process.ts', t.url, 'frozen', String(LEASE_MS)], { cwd: root });
	let buf = '';
	p.stdout.on('data', (d: Buffer) => {
		buf += d.toString();
		for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
			lines.push({ text: buf.slice(0, i), at: Date.now() });
			buf = buf.slice(i + 1);
		}
	});
	return p;
}

const line = (prefix: string) => eventually(async () => lines.find((l) => l.text.startsWith(prefix)), 30_000);

it('a process frozen past its lease: its run is recovered elsewhere, its late completion refused, its handler aborted on resuming', async () => {
	child = spawnScheduler();
	await line('READY');
	// The same job in the survivor, whose handler simply succeeds.
	survivor = instance(t, [{ ...fencedJob('survivor'), handler: () => ({ message: 'ran in survivor' }) }], { name: 'survivor', leaseMs: LEASE_MS });
	// Only the child runs the queue for now: it takes the run.
	await survivor.service.trigger('fenced', 'manual', { name: 'test' });
	const started = await line('STARTED');
	const runId = Number(started.text.split(' ')[1]);
	child.kill('SIGSTOP');
	const stoppedAt = Date.now();
	await survivor.scheduler.start();
	// Recovered elsewhere: interrupted once its lease expired, and retried by the survivor.
	const interrupted = await eventually(async () => {
		const [r] = await t.sql<{ status: string; errorMessage: string }[]>`
			select status, error_message as "errorMessage" from cron_job_execution where id = ${runId}`;
		return r?.status === 'interrupted' ? r : undefined;
	}, 15_000);
	expect(interrupted.errorMessage).toContain('instance frozen stopped heartbeating');
	await eventually(async () => {
		const [r] = await t.sql<{ status: string }[]>`select status from cron_job_execution where retry_of = ${runId}`;
		return r?.status === 'succeeded';
	}, 15_000);
	// Frozen for at least twice the lease.
	const frozenFor = Math.max(0, 2 * LEASE_MS - (Date.now() - stoppedAt));
	await new Promise((r) => setTimeout(r, frozenFor));
	child.kill('SIGCONT');
	const resumedAt = Date.now();
	const aborted = await line(`ABORTED ${runId}`);
	expect(aborted.at - resumedAt).toBeLessThan(RENEWAL_MS + 500);
	// Give its late success every chance to land: it must not.
	await new Promise((r) => setTimeout(r, 2 * RENEWAL_MS));
	const [after] = await t.sql<{ status: string; errorMessage: string; instanceId: string }[]>`
		select status, error_message as "errorMessage", instance_id as "instanceId" from cron_job_execution where id = ${runId}`;
	expect(after).toEqual({ status: 'interrupted', errorMessage: interrupted.errorMessage, instanceId: 'frozen' });
	// The retry belongs to the survivor, and the frozen process never touched it.
	const [retry] = await t.sql<{ instanceId: string; attempt: number; status: string }[]>`
		select instance_id as "instanceId", attempt, status from cron_job_execution where retry_of = ${runId}`;
	expect(retry).toEqual({ instanceId: 'survivor', attempt: 2, status: 'succeeded' });
}, 90_000);
