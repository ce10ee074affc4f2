/**
 * Heartbeat: requests/s and latency of POST /api/session/heartbeat at 100 concurrent clients
 * (keep-alive, one open session each) against the BUILT app as `npm start` runs it
 * (scripts/start.js → scripts/server.js: the heartbeat fast path in front of SvelteKit; its own
 * DATA_DIR and PORT, on the bench database), beside the anchor: a bare node:http server
 * (bench/heartbeat-bare.ts) doing the same UPDATE through postgres.js on the same database, in
 * the same run. For reference it also measures adapter-node's own entry (`node build/index.js`,
 * every request through SvelteKit). All run as child processes; the load comes from this
 * process. Rounds alternate (bare, app, plain, bare, app, plain) so drift hits all alike.
 * Two phases: closed loop (each client sends again as soon as answered: the maximum
 * requests/s), then paced (each client every 200 ms: latency at a stated load, counted from
 * the scheduled send). Closed-loop latency is bounded below by clients / throughput (Little's
 * law), so the p99 target is checked on the paced phase; both are printed.
 * Targets: app ≥ 70% of the bare requests/s (closed loop), app p99 ≤ 20 ms (paced).
 *
 *   npm run build && npm run bench:heartbeat [-- --clients 100 --seconds 10 --every 200 --strict]
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Sql } from 'postgres';
import { unbounded } from '../src/lib/server/db';
import { cpuMsOf, requireBuild, startApp as startAppProcess, startScript, stop, type Target } from './app-process';
import { arg, check, fmt, heading, note, runBench, sleep, summarize, table } from './lib';

const CLIENTS = arg('clients', 100);
const SECONDS = arg('seconds', 10);
const ROUNDS = 2;
/** Paced phase: each client sends a heartbeat this often (100 clients × every 200 ms = 500/s). */
const EVERY_MS = arg('every', 200);
const TARGET_RATIO = 0.7;
const TARGET_P99 = 20;
/** The app as `npm start` runs it, adapter-node's plain entry (reference), and the anchor. */
const NAMES = ['bare', 'app', 'plain'] as const;
type Name = (typeof NAMES)[number];
const LABELS: Record<Name, string> = { bare: 'bare node:http', app: 'cronkit app (npm start)', plain: 'node build/index.js' };

/** Both app servers share the database, so they must share SECRET_KEY (its fingerprint is stored there). */
const SECRET_KEY = randomBytes(32).toString('base64');

function startApp(databaseUrl: string, dataDir: string, entry: 'scripts/start.js' | 'build/index.js'): Promise<Target> {
	return startAppProcess(databaseUrl, dataDir, entry, { SECRET_KEY });
}

const startBare = (databaseUrl: string) => startScript('bench/heartbeat-bare.ts', { DATABASE_URL: databaseUrl, POOL: '20' });

type Load = { latencies: number[]; ms: number; statuses: Record<number, number>; errors: number; cpuMs: number };

/**
 * CLIENTS clients, one open session and one keep-alive socket each. Closed loop (`everyMs`
 * unset): each sends its next heartbeat as soon as the last one is answered (maximum
 * throughput). Paced (`everyMs`): each sends on a fixed schedule, and a latency counts from the
 * scheduled instant, so time spent queueing behind a slow answer is not hidden.
 */
async function load(target: Target, sessions: string[], seconds: number, everyMs?: number): Promise<Load> {
	const port = target.port;
	const cpu0 = await cpuMsOf(target.child.pid);
	const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
	const latencies: number[] = [];
	const statuses: Record<number, number> = {};
	let errors = 0;
	const once = (body: string) =>
		new Promise<number>((resolve, reject) => {
			const req = http.request(
				{ host: '127.0.0.1', port, method: 'POST', path: '/api/session/heartbeat', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
				(res) => {
					res.resume();
					res.on('end', () => resolve(res.statusCode ?? 0));
				}
			);
			req.on('error', reject);
			req.end(body);
		});
	const t0 = performance.now();
	const end = t0 + seconds * 1000;
	await Promise.all(
		sessions.slice(0, CLIENTS).map(async (sessionId, i) => {
			const body = JSON.stringify({ sessionId });
			let due = t0 + (everyMs ? (i * everyMs) / CLIENTS : 0);
			while (due < end) {
				if (everyMs) await sleep(due - performance.now());
				const s = everyMs ? due : performance.now();
				try {
					const status = await once(body);
					latencies.push(performance.now() - s);
					statuses[status] = (statuses[status] ?? 0) + 1;
				} catch {
					errors++;
				}
				due = everyMs ? due + everyMs : performance.now();
			}
		})
	);
	const ms = performance.now() - t0;
	agent.destroy();
	return { latencies, ms, statuses, errors, cpuMs: (await cpuMsOf(target.child.pid)) - cpu0 };
}

/** Exempt from DB_STATEMENT_TIMEOUT_MS, as every benchmark's seeding. */
async function seed(pool: Sql): Promise<string[]> {
	const sql = unbounded(pool);
	await sql`
		insert into access_key (id, key_hash, prefix)
		select 'hb-' || g, sha256(('hb-' || g)::bytea), 'ck_bench' from generate_series(1, ${CLIENTS}::int) g`;
	// The table holds the ids' hashes (as the app stores them); the clients send the ids.
	await sql`
		insert into device_session (id, access_key_id, device_id)
		select encode(sha256(convert_to('ds_hb_' || g, 'UTF8')), 'hex'), 'hb-' || g, 'bench' from generate_series(1, ${CLIENTS}::int) g`;
	return Array.from({ length: CLIENTS }, (_, i) => `ds_hb_${i + 1}`);
}

await requireBuild('bench:heartbeat');

await runBench('bench:heartbeat', async (db) => {
	heading(`heartbeat: ${CLIENTS} concurrent keep-alive clients, ${ROUNDS} × ${SECONDS / ROUNDS} s per server, closed loop then paced`);
	const sql = db.pool(2);
	const sessions = await seed(sql);
	const dataDirs = await Promise.all([1, 2].map(() => fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-bench-app-'))));
	const targets: Partial<Record<Name, Target>> = {};
	try {
		targets.app = await startApp(db.url, dataDirs[0]!, 'scripts/start.js');
		targets.plain = await startApp(db.url, dataDirs[1]!, 'build/index.js');
		targets.bare = await startBare(db.url);
		const all = NAMES.map((n) => targets[n]!);
		note(`app on :${targets.app.port} (npm start's entry), plain on :${targets.plain.port} (node build/index.js), bare on :${targets.bare.port}; warming up 2 s each …`);
		const idle0 = await Promise.all(all.map((t) => cpuMsOf(t.child.pid)));
		await sleep(3_000);
		const idle1 = await Promise.all(all.map((t) => cpuMsOf(t.child.pid)));
		note(`idle CPU (no requests, 3 s): ${NAMES.map((n, i) => `${n} ${fmt((idle1[i]! - idle0[i]!) / 3, 0)} ms/s`).join(', ')}`);
		for (const t of all) await load(t, sessions, 2);
		const closed: Record<Name, Load[]> = { bare: [], app: [], plain: [] };
		const paced: Record<Name, Load[]> = { bare: [], app: [], plain: [] };
		for (let r = 0; r < ROUNDS; r++) for (const n of NAMES) closed[n].push(await load(targets[n]!, sessions, SECONDS / ROUNDS));
		for (let r = 0; r < ROUNDS; r++) for (const n of NAMES) paced[n].push(await load(targets[n]!, sessions, SECONDS / ROUNDS, EVERY_MS));
		const merge = (ls: Load[]) => ({
			s: summarize(ls.flatMap((l) => l.latencies)),
			ms: ls.reduce((a, l) => a + l.ms, 0),
			errors: ls.reduce((a, l) => a + l.errors, 0),
			cpuMs: ls.reduce((a, l) => a + l.cpuMs, 0),
			statuses: ls.reduce<Record<number, number>>((acc, l) => {
				for (const [k, v] of Object.entries(l.statuses)) acc[Number(k)] = (acc[Number(k)] ?? 0) + v;
				return acc;
			}, {})
		});
		type Merged = ReturnType<typeof merge>;
		const c = Object.fromEntries(NAMES.map((n) => [n, merge(closed[n])])) as Record<Name, Merged>;
		const p = Object.fromEntries(NAMES.map((n) => [n, merge(paced[n])])) as Record<Name, Merged>;
		const rps = (m: Merged) => (m.s.n * 1000) / m.ms;
		const perReq = (m: Merged) => (m.cpuMs * 1000) / m.s.n;
		const ratio = rps(c.app) / rps(c.bare);
		const line = (name: string, m: Merged) => [name, String(m.s.n), fmt(rps(m), 0), fmt(m.s.p50, 2), fmt(m.s.p99, 2), fmt(m.s.max, 1), fmt(perReq(m), 0), JSON.stringify(m.statuses)];
		const pacedRate = fmt(CLIENTS * (1000 / EVERY_MS), 0);
		heading('results');
		table([
			['', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'CPU µs/req', 'statuses'],
			...NAMES.map((n) => line(`closed loop: ${LABELS[n]}`, c[n])),
			...NAMES.map((n) => line(`paced ${pacedRate}/s: ${LABELS[n]}`, p[n]))
		]);
		note(`closed loop (each client sends again as soon as answered): app/bare = ${fmt(ratio * 100, 0)}% of requests/s (plain build/index.js: ${fmt((rps(c.plain) / rps(c.bare)) * 100, 0)}%)`);
		note(`  latency there is bounded below by ${CLIENTS} / throughput (Little's law): ${NAMES.map((n) => `${n} ${fmt((CLIENTS / rps(c[n])) * 1000, 1)} ms`).join(', ')}`);
		note(`paced (each client every ${EVERY_MS} ms, latency from the scheduled instant): p99 ${NAMES.map((n) => `${n} ${fmt(p[n].s.p99, 2)} ms`).join(', ')}`);
		note(`server CPU per request (closed loop): ${NAMES.map((n) => `${n} ${fmt(perReq(c[n]), 0)} µs`).join(', ')} (app/bare ${fmt(perReq(c.app) / perReq(c.bare), 2)}×)`);
		const onlyOk = (m: Merged) => m.errors === 0 && Object.keys(m.statuses).every((k) => k === '200');
		return [
			check(`app ≥ ${TARGET_RATIO * 100}% of the bare server's requests/s`, ratio >= TARGET_RATIO, `${fmt(ratio * 100, 0)}% (${fmt(rps(c.app), 0)} vs ${fmt(rps(c.bare), 0)} req/s)`),
			check(`app p99 ≤ ${TARGET_P99} ms (paced, ${CLIENTS} clients)`, p.app.s.p99 <= TARGET_P99, `p99 ${fmt(p.app.s.p99, 2)} ms at ${fmt(rps(p.app), 0)} req/s (bare ${fmt(p.bare.s.p99, 2)} ms); closed loop p99 ${fmt(c.app.s.p99, 2)} ms`),
			check('every answer a 200', NAMES.every((n) => onlyOk(c[n]) && onlyOk(p[n])), NAMES.map((n) => `${n} ${JSON.stringify(c[n].statuses)}`).join(', '))
		];
	} finally {
		await Promise.all(Object.values(targets).map(stop));
		await Promise.all(dataDirs.map((d) => fs.rm(d, { recursive: true, force: true })));
	}
});
