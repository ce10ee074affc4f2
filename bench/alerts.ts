/**
 * Alerts: 10,000 push monitors expected every 60 s (grace 5 s), pinged at that rate (about 167
 * pings/s, each at its own phase of the minute) by a load generator on loopback, against the
 * BUILT app as `npm start` runs it (CRON_ROLE=all: it serves the pings and runs the monitor
 * timers and the senders). Half the pings go to the app, half to the anchor: a bare node:http
 * server doing the same insert (the app's ping statement, bench/alerts-bare.ts), in the same
 * run on the same database. After one period, 1,000 of the monitors (every tenth, so their
 * deadlines spread over the next minute) stop pinging while the rest go on; a webhook receiver
 * in this process notes when each `monitor_down` arrives. Measured:
 * - ping latency p50/p99 of the app and of the anchor (from each ping's scheduled instant);
 * - delay from each stopped monitor's grace end (its `down_at`) to the arrival of its alert,
 *   p50/p99/max, and that no monitor still pinged was alerted;
 * - then, closed loop for a few seconds each: pings/s the app and the anchor can take, for
 *   context beside Healthchecks' published figure for its open-source ping handler (~250 pings/s).
 * Targets: alert delay p99 ≤ 2 s; every stopped monitor alerted once, no other.
 *
 *   npm run build && npm run bench:alerts [-- --monitors 10000 --stopped 1000 --period 60 --grace 5 --strict]
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { unbounded } from '../src/lib/server/db';
import { cpuMsOf, requireBuild, startApp, startScript, stop, type Target } from './app-process';
import { arg, check, fmt, heading, note, runBench, sleep, summarize, table } from './lib';

const MONITORS = arg('monitors', 10_000);
const STOPPED = Math.min(arg('stopped', 1_000), MONITORS);
const PERIOD_S = arg('period', 60);
const GRACE_S = arg('grace', 5);
const BURST_S = arg('burst', 5);
const BURST_CLIENTS = 32;
const TARGET_P99_MS = 2_000;
const HEALTHCHECKS_PINGS_PER_S = 250;
const CRON_SECRET = `bench-${randomBytes(12).toString('hex')}`;

type Hit = { key: string; at: number };

/** The webhook receiver: when each monitor_down arrived, by monitor. */
async function startReceiver(): Promise<{ url: string; downs: Hit[]; others: number; close(): Promise<void> }> {
	const state = { downs: [] as Hit[], others: 0 };
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const at = Date.now();
			try {
				const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event: string; monitor?: { key: string } };
				if (body.event === 'monitor_down' && body.monitor) state.downs.push({ key: body.monitor.key, at });
				else state.others++;
			} catch {
				state.others++;
			}
			res.writeHead(200).end('ok');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
		downs: state.downs,
		get others() {
			return state.others;
		},
		close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())))
	};
}

/**
 * Pings each get a request on a keep-alive socket; the answer's status, or 0 on a network error.
 * A request that meets a socket the server closed as idle just then is sent once more, as
 * `curl --retry` would (counted in `retried`).
 */
function pinger(port: number, sockets: number) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
	const state = { retried: 0 };
	const once = (token: string) =>
		new Promise<number>((resolve) => {
			const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: `/ping/${token}`, agent }, (res) => {
				res.resume();
				res.on('end', () => resolve(res.statusCode ?? 0));
			});
			req.on('error', () => resolve(0));
			req.end();
		});
	const ping = async (token: string) => {
		const status = await once(token);
		if (status !== 0) return status;
		state.retried++;
		return once(token);
	};
	return { ping, state, close: () => agent.destroy() };
}

type Tally = { latencies: number[]; statuses: Record<number, number> };
const tally = (): Tally => ({ latencies: [], statuses: {} });
const count = (t: Tally, status: number, ms: number) => {
	t.latencies.push(ms);
	t.statuses[status] = (t.statuses[status] ?? 0) + 1;
};
const merged = (...ts: Tally[]): Tally => {
	const m = tally();
	for (const t of ts) for (const [s, n] of Object.entries(t.statuses)) m.statuses[Number(s)] = (m.statuses[Number(s)] ?? 0) + n;
	m.latencies = ts.flatMap((t) => t.latencies);
	return m;
};

await requireBuild('bench:alerts');

await runBench(
	'bench:alerts',
	async (db) => {
		heading(`alerts: ${MONITORS} monitors every ${PERIOD_S} s (grace ${GRACE_S} s), ${STOPPED} stop pinging after one period`);
		const sql = unbounded(db.pool(2));
		const tokens = Array.from({ length: MONITORS }, () => randomBytes(24).toString('base64url'));
		const keys = tokens.map((_, i) => `bm-${String(i).padStart(6, '0')}`);
		// Every tenth monitor stops (deadlines spread over the minute after the first period).
		const stride = Math.max(1, Math.floor(MONITORS / STOPPED));
		const stopped = new Set(keys.filter((_, i) => i % stride === 0).slice(0, STOPPED));
		await sql`
			insert into monitor (key, name, token_hash, period_seconds, grace_seconds)
			select k, k, decode(h, 'hex'), ${PERIOD_S}::int, ${GRACE_S}::int from unnest(${keys}::text[], ${tokens.map((t) => createHash('sha256').update(t).digest('hex'))}::text[]) as u(k, h)`;
		const receiver = await startReceiver();
		const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-bench-alerts-'));
		let app: Target | undefined;
		let bare: Target | undefined;
		try {
			app = await startApp(db.url, dataDir, 'scripts/start.js', { CRON_SECRET, SECRET_KEY: randomBytes(32).toString('base64') });
			bare = await startScript('bench/alerts-bare.ts', { DATABASE_URL: db.url, POOL: '10' });
			const api = (method: string, p: string, body: unknown) =>
				fetch(`http://127.0.0.1:${app!.port}${p}`, { method, headers: { authorization: `Bearer ${CRON_SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
					async (r) => (await r.json()) as Record<string, { id: string }>
				);
			const { channel } = await api('POST', '/api/alerts/channels', { type: 'webhook', name: 'bench', url: receiver.url });
			await api('PATCH', '/api/cron/settings', { 'alerts.defaultChannels': [channel!.id] });
			note(`app (npm start) on :${app.port}, anchor on :${bare.port}; pings alternate between them`);

			// The schedule: monitor i at t0 + i/N of the period, every period; stopped ones once.
			const t0 = Date.now() + 4_000;
			const end = t0 + 2 * PERIOD_S * 1000 + GRACE_S * 1000 + 3_000;
			const plan: { at: number; i: number }[] = [];
			for (let i = 0; i < MONITORS; i++) {
				for (let at = t0 + (i * PERIOD_S * 1000) / MONITORS; at < end; at += PERIOD_S * 1000) {
					plan.push({ at, i });
					if (stopped.has(keys[i]!)) break;
				}
			}
			plan.sort((a, b) => a.at - b.at);
			const targets = [pinger(app.port, 64), pinger(bare.port, 64)];
			const paced = [tally(), tally()];
			const inFlight = new Set<Promise<void>>();
			// The app alone (scheduler, monitor timers, senders) before any ping.
			const idle0 = await cpuMsOf(app.child.pid);
			await sleep(3_000);
			const idleMsPerS = ((await cpuMsOf(app.child.pid)) - idle0) / 3;
			const cpu0 = await cpuMsOf(app.child.pid);
			const bareCpu0 = await cpuMsOf(bare.child.pid);
			let next = 0;
			let downAts: Map<string, number> | null = null;
			const stoppedAt = t0 + PERIOD_S * 1000 + 500;
			// Bounded: the plan is finite and each turn ends by `end` plus the answers in flight.
			while (next < plan.length && Date.now() < end + 5_000) {
				const now = Date.now();
				for (; next < plan.length && plan[next]!.at <= now; next++) {
					const { at, i } = plan[next]!;
					const which = i % 2;
					const p = targets[which]!.ping(tokens[i]!).then((status) => count(paced[which]!, status, Date.now() - at));
					inFlight.add(p);
					void p.finally(() => inFlight.delete(p));
				}
				// Once every stopped monitor has had its last ping: their grace ends, by the database.
				if (!downAts && now >= stoppedAt) {
					const rows = await sql<{ key: string; downAt: Date }[]>`select key, down_at as "downAt" from monitor where key = any(${[...stopped]})`;
					downAts = new Map(rows.map((r) => [r.key, r.downAt.getTime()]));
				}
				await sleep(5);
			}
			await Promise.all(inFlight);
			const cpuMs = (await cpuMsOf(app.child.pid)) - cpu0;
			const bareCpuMs = (await cpuMsOf(bare.child.pid)) - bareCpu0;
			const pacedSeconds = (Date.now() - t0) / 1000;
			// Alerts still on their way (bounded wait).
			for (const until = Date.now() + 10_000; receiver.downs.length < STOPPED && Date.now() < until; ) await sleep(100);

			// Closed loop: as many pings as each server takes, from monitors still pinged.
			const live = tokens.filter((_, i) => !stopped.has(keys[i]!));
			const cpuClosed: [number, number] = [0, 0];
			const burst = async (which: 0 | 1) => {
				const t = targets[which]!;
				const server = which === 0 ? app! : bare!;
				const c0 = await cpuMsOf(server.child.pid);
				const b = tally();
				const stopAt = Date.now() + BURST_S * 1000;
				let n = 0;
				await Promise.all(
					Array.from({ length: BURST_CLIENTS }, async () => {
						while (Date.now() < stopAt) {
							const s = Date.now();
							count(b, await t.ping(live[n++ % live.length]!), Date.now() - s);
						}
					})
				);
				cpuClosed[which] += (await cpuMsOf(server.child.pid)) - c0;
				return b;
			};
			const closed = [await burst(1), await burst(0), await burst(1), await burst(0)];
			for (const t of targets) t.close();
			const appClosed = merged(closed[1]!, closed[3]!);
			const bareClosed = merged(closed[0]!, closed[2]!);
			const rate = (t: Tally) => t.latencies.length / (2 * BURST_S);

			// Alert delays from each grace end.
			const first = new Map<string, number>();
			for (const h of receiver.downs) if (!first.has(h.key)) first.set(h.key, h.at);
			const delays = [...stopped].flatMap((k) => (first.has(k) && downAts?.has(k) ? [first.get(k)! - downAts.get(k)!] : []));
			const d = summarize(delays);
			const missing = [...stopped].filter((k) => !first.has(k)).length;
			const repeated = receiver.downs.length - first.size;
			// Monitors still pinged must not go down while they are (after the paced phase, with
			// its pings over, they may: that is no false alarm).
			const stillPinged = [...first.keys()].filter((k) => !stopped.has(k)).length;
			const falseAlarms = [...first.entries()].filter(([k, at]) => !stopped.has(k) && at <= end).length;
			const a = summarize(paced[0]!.latencies);
			const b = summarize(paced[1]!.latencies);
			const ac = summarize(appClosed.latencies);
			const bc = summarize(bareClosed.latencies);

			heading('results');
			table([
				['', 'pings', 'pings/s', 'p50 ms', 'p99 ms', 'max ms', 'statuses'],
				['paced: cronkit app (npm start)', String(a.n), fmt(a.n / pacedSeconds, 0), fmt(a.p50, 2), fmt(a.p99, 2), fmt(a.max, 1), JSON.stringify(paced[0]!.statuses)],
				['paced: bare node:http (anchor)', String(b.n), fmt(b.n / pacedSeconds, 0), fmt(b.p50, 2), fmt(b.p99, 2), fmt(b.max, 1), JSON.stringify(paced[1]!.statuses)],
				[`closed loop ${BURST_CLIENTS} clients: app`, String(ac.n), fmt(rate(appClosed), 0), fmt(ac.p50, 2), fmt(ac.p99, 2), fmt(ac.max, 1), JSON.stringify(appClosed.statuses)],
				[`closed loop ${BURST_CLIENTS} clients: bare`, String(bc.n), fmt(rate(bareClosed), 0), fmt(bc.p50, 2), fmt(bc.p99, 2), fmt(bc.max, 1), JSON.stringify(bareClosed.statuses)]
			]);
			note(`paced p99: app ${fmt(a.p99, 2)} ms vs anchor ${fmt(b.p99, 2)} ms (${fmt(a.p99 / b.p99, 2)}×); closed loop: app ${fmt(rate(appClosed), 0)} pings/s = ${fmt((rate(appClosed) / rate(bareClosed)) * 100, 0)}% of the anchor's ${fmt(rate(bareClosed), 0)}`);
			note(
				`server CPU per ping in the closed loop: app ${fmt((cpuClosed[0]! * 1000) / (appClosed.latencies.length || 1), 0)} µs, anchor ${fmt((cpuClosed[1]! * 1000) / (bareClosed.latencies.length || 1), 0)} µs`
			);
			note(`for context: Healthchecks' open-source ping handler is published at ~${HEALTHCHECKS_PINGS_PER_S} pings/s (app: ${fmt(rate(appClosed) / HEALTHCHECKS_PINGS_PER_S, 1)}× that here)`);
			note(
				`CPU while paced: app ${fmt(cpuMs / pacedSeconds, 0)} ms/s (${fmt(idleMsPerS, 0)} ms/s idle before; it answers half the pings, and every ping's signal moves a deadline in its timer heap), anchor ${fmt(bareCpuMs / pacedSeconds, 0)} ms/s`
			);
			table([
				['alert delay from grace end', 'alerts', 'p50 ms', 'p99 ms', 'max ms', 'min ms'],
				['monitor_down', String(d.n), fmt(d.p50, 0), fmt(d.p99, 0), fmt(d.max, 0), fmt(Math.min(...delays), 0)]
			]);
			note(`network errors retried once: app ${targets[0]!.state.retried}, anchor ${targets[1]!.state.retried}`);
			note(`${STOPPED} stopped: ${first.size - stillPinged} alerted, ${missing} not; ${repeated} repeated; ${falseAlarms} monitors alerted while still pinged; other notifications: ${receiver.others}`);
			return [
				check(`alert delay p99 ≤ ${TARGET_P99_MS} ms from grace end`, d.n > 0 && d.p99 <= TARGET_P99_MS, `p50 ${fmt(d.p50, 0)} ms, p99 ${fmt(d.p99, 0)} ms, max ${fmt(d.max, 0)} ms over ${d.n} alerts`),
				check('every stopped monitor alerted exactly once, no other', missing === 0 && repeated === 0 && falseAlarms === 0, `${missing} missing, ${repeated} repeated, ${falseAlarms} false`),
				check('every ping answered 200', [paced[0]!, paced[1]!, appClosed, bareClosed].every((t) => Object.keys(t.statuses).every((s) => s === '200')), JSON.stringify(paced[0]!.statuses))
			];
		} finally {
			await Promise.all([stop(app), stop(bare)]);
			await receiver.close();
			await fs.rm(dataDir, { recursive: true, force: true });
		}
	},
	300_000
);
