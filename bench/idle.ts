/**
 * `npm run bench:idle [-- --schedules 1000 --window 60 --warmup 10]`: what an idle worker (the Scheduler,
 * the instance registry and the alerts, as in bench:peers' idle table: `idleWorker` in lib.ts)
 * does over a window with nothing due.
 * Every statement it sends is counted by its text (postgres.js's `debug` hook on the pool), and
 * the process's CPU time (utime + stime) is read over the same window. Run it under
 * `node --cpu-prof --import tsx` to see where that CPU goes, function by function. With
 * `--boot-allocations FILE` it writes a sampling heap profile of everything the boot allocated
 * (collected or not) to FILE (.heapprofile, for Chrome DevTools).
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { Sql } from 'postgres';
import pino from 'pino';
import { defineJob } from '../src/lib/server/cron/types';
import { arg, idleWorker, sleep, startDatabase } from './lib';
import { farSchedules } from './peers/rig';

const schedules = arg('schedules', 1000);
const windowS = arg('window', 60);
/** Seconds between the end of the boot and the window (bench:peers waits 10). */
const warmupS = arg('warmup', 10);
const log = pino({ level: 'warn' }, pino.destination(2));

const db = await startDatabase();
try {
	const sql: Sql = db.pool(20);
	const counts = new Map<string, number>();
	let counting = false;
	// postgres.js calls `options.debug` for every query it sends (the options are shared by the
	// pool's connections).
	(sql.options as { debug?: unknown }).debug = (_conn: number, query: string) => {
		if (!counting) return;
		const text = query.replace(/\s+/g, ' ').trim().slice(0, 100);
		counts.set(text, (counts.get(text) ?? 0) + 1);
	};
	const list = farSchedules(schedules);
	const definitions = list.map((schedule, i) =>
		defineJob({ key: `idle-${String(i).padStart(4, '0')}`, name: `idle ${i}`, schedule, handler: () => {} })
	);
	const worker = idleWorker(sql, definitions, log);
	const bootProfile = process.argv[process.argv.indexOf('--boot-allocations') + 1];
	const inspector = process.argv.includes('--boot-allocations') ? new Session() : null;
	if (inspector) {
		inspector.connect();
		await inspector.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
	}
	await worker.start();
	if (inspector) {
		const { profile } = await inspector.post('HeapProfiler.stopSampling');
		await writeFile(bootProfile!, JSON.stringify(profile));
		inspector.disconnect();
	}
	await sleep(warmupS * 1000);
	counting = true;
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	await sleep(windowS * 1000);
	const cpu = process.cpuUsage(cpu0);
	const elapsed = performance.now() - t0;
	counting = false;
	const total = [...counts.values()].reduce((a, b) => a + b, 0);
	const perMin = (n: number) => ((n * 60_000) / elapsed).toFixed(1);
	console.log(`idle, ${schedules} schedules, ${(elapsed / 1000).toFixed(0)} s window from ${warmupS} s after the boot`);
	console.log(`  Node CPU ${(((cpu.user + cpu.system) / 1000 / elapsed) * 100).toFixed(3)}% of a core (user ${(cpu.user / 1000).toFixed(0)} ms, system ${(cpu.system / 1000).toFixed(0)} ms)`);
	console.log(`  RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB, heap used ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB`);
	console.log(`  statements: ${perMin(total)} per minute`);
	for (const [text, n] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`  ${perMin(n).padStart(7)}/min  ${text}`);
	await worker.stop();
} finally {
	await db.close();
}
