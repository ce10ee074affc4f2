/**
 * bench:statement-timeout — what the DB_STATEMENT_TIMEOUT_MS limit costs per query
 * (src/lib/server/db/statement-timeout.ts): 10,000 `select 1` through the app's limited pool
 * against the same through `unbounded(pool)`, one at a time on one connection (the round trip
 * dominates) and 50 at a time on 4 connections (pipelined: the client's own cost shows more).
 * Rounds alternate between the two so drift in the machine's load hits both alike. The
 * verdict is on client CPU per query (process.cpuUsage), steadier than wall time on a shared box.
 */
import type { Sql } from 'postgres';
import { unbounded } from '../src/lib/server/db';
import { arg, check, fmt, heading, note, runBench, table } from './lib';

const QUERIES = arg('queries', 10_000);
const ROUNDS = arg('rounds', 5);
const IN_FLIGHT = 50;
/** Client CPU the limit may add to one query (a timer, a promise, a closure). */
const TARGET_US = 8;

type Sample = { ms: number; cpuMs: number };

/** Wall time and this process's CPU time for QUERIES `select 1`, `inFlight` at a time. */
async function run(sql: Sql, inFlight: number): Promise<Sample> {
	let next = 0;
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	await Promise.all(
		Array.from({ length: inFlight }, async () => {
			while (next++ < QUERIES) await sql`select 1`;
		})
	);
	const cpu = process.cpuUsage(cpu0);
	return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await runBench('bench:statement-timeout', async (db) => {
	const results: { name: string; raw: Sample; limited: Sample }[] = [];
	for (const [name, connections, inFlight] of [
		['sequential, 1 connection', 1, 1],
		[`${IN_FLIGHT} in flight, 4 connections`, 4, IN_FLIGHT]
	] as const) {
		heading(`${QUERIES} × select 1, ${name}, ${ROUNDS} rounds of each`);
		const limited = db.pool(connections);
		const raw = unbounded(limited);
		await run(limited, inFlight); // warm-up: connections open, statement prepared
		const times = { raw: [] as Sample[], limited: [] as Sample[] };
		for (let r = 0; r < ROUNDS; r++) {
			times.raw.push(await run(raw, inFlight));
			times.limited.push(await run(limited, inFlight));
		}
		const perQuery = (ms: number) => fmt((ms * 1000) / QUERIES, 1);
		const of = (k: 'raw' | 'limited', f: 'ms' | 'cpuMs') => times[k].map((s) => s[f]);
		table([
			['pool', 'wall µs/query (median)', 'min', 'max', 'client CPU µs/query (median)', 'min', 'max'],
			...(['raw', 'limited'] as const).map((k) => [
				k,
				...[of(k, 'ms'), of(k, 'cpuMs')].flatMap((xs) => [perQuery(median(xs)), perQuery(Math.min(...xs)), perQuery(Math.max(...xs))])
			])
		]);
		results.push({ name, raw: { ms: median(of('raw', 'ms')), cpuMs: median(of('raw', 'cpuMs')) }, limited: { ms: median(of('limited', 'ms')), cpuMs: median(of('limited', 'cpuMs')) } });
	}
	const ratio = (r: (typeof results)[number], f: keyof Sample) => r.limited[f] / r.raw[f];
	const extraUs = (r: (typeof results)[number], f: keyof Sample) => fmt(((r.limited[f] - r.raw[f]) * 1000) / QUERIES, 2);
	for (const r of results) {
		note(`${r.name}: limited / raw wall ${fmt(ratio(r, 'ms'), 3)} (${extraUs(r, 'ms')} µs per query), client CPU ${fmt(ratio(r, 'cpuMs'), 3)} (${extraUs(r, 'cpuMs')} µs per query)`);
	}
	const extra = (r: (typeof results)[number]) => ((r.limited.cpuMs - r.raw.cpuMs) * 1000) / QUERIES;
	return results.map((r) => check(`${r.name}: client CPU added per query ≤ ${TARGET_US} µs`, extra(r) <= TARGET_US, `${fmt(extra(r), 2)} µs (wall ratio ${fmt(ratio(r, 'ms'), 3)})`));
});
