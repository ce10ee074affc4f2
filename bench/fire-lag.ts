/**
 * Fire lag: 1,000 jobs due in the same second, claimed through the real Scheduler and ledger
 * (every claim recorded in PostgreSQL). Lag = handler start − the tick's scheduled instant.
 * Anchor, measured first and alone: 1,000 bare croner `Cron` instances (one timer per job, no
 * database) on the same kind of schedule. Target: Cronkit p99 ≤ 25 ms.
 *
 *   npm run bench:fire-lag [-- --jobs 1000 --bursts 5 --strict]
 */
import { Cron } from 'croner';
import type { Sql } from 'postgres';
import { compileSchedule, previousRuns } from '../src/lib/server/cron/schedule';
import { defineJob } from '../src/lib/server/cron/types';
import { arg, check, createScheduler, fmt, heading, note, nowMs, runBench, sleepUntil, summarize, table, type Summary } from './lib';

const JOBS = arg('jobs', 1000);
const BURSTS = Math.min(10, Math.max(3, arg('bursts', 5)));
const SPACING_MS = 3_000;
const TARGET_P99_MS = 25;

/** Burst instants: whole seconds, SPACING_MS apart, the first at least `leadMs` from now. */
function plan(leadMs: number): number[] {
	const first = Math.ceil((Date.now() + leadMs) / 1000) * 1000;
	return Array.from({ length: BURSTS }, (_, i) => first + i * SPACING_MS);
}

/** A 6-field pattern firing at exactly those seconds (they span less than a minute). */
const patternFor = (instants: number[]) => `${instants.map((t) => new Date(t).getUTCSeconds()).join(',')} * * * * *`;

type Lags = { all: number[]; byBurst: Map<number, number[]> };

function recorder(): Lags & { add(at: number, lag: number): void } {
	const all: number[] = [];
	const byBurst = new Map<number, number[]>();
	return {
		all,
		byBurst,
		add(at, lag) {
			all.push(lag);
			const list = byBurst.get(at) ?? [];
			list.push(lag);
			byBurst.set(at, list);
		}
	};
}

/** Bare croner: one Cron (one timer) per job. Its callback is not told the planned instant,
 * so the tick is the latest planned burst at or before the callback (croner never fires early). */
async function measureCroner(): Promise<Lags> {
	const instants = plan(3_000);
	const lags = recorder();
	const crons = Array.from(
		{ length: JOBS },
		() =>
			new Cron(patternFor(instants), () => {
				const t = nowMs();
				const at = instants.filter((i) => i <= t).pop();
				if (at !== undefined) lags.add(at, t - at);
			})
	);
	await sleepUntil(instants[instants.length - 1]! + 2_000);
	for (const c of crons) c.stop();
	return lags;
}

type CronkitLags = Lags & {
	bootMs: number;
	marginMs: number;
	early: number;
	/** Handlers that saw Date.now() below their scheduled instant. */
	earlyStarts: number;
	statuses: Record<string, number>;
	/** Claim INSERT (database clock, created_at) relative to the scheduled instant: negative = ahead of it. */
	claimLead: number[];
	/** Recorded start (started_at, database time) − scheduled instant. */
	recordedLag: number[];
	/** Handler start (this process's clock) − recorded start: how well the two clocks agree. */
	recordedVsHandler: number[];
};

/**
 * Boot syncs the jobs and computes catch-up for each (croner previousRuns(101) per job, which
 * dominates): estimate it on this machine, now, and leave a wide margin before the first burst.
 */
function bootMargin(): number {
	const s = compileSchedule(patternFor(plan(0)), 'UTC');
	const t0 = performance.now();
	for (let i = 0; i < 20; i++) previousRuns(s, 101, new Date());
	const estimate = ((performance.now() - t0) / 20) * JOBS + 2_000;
	return Math.min(90_000, Math.max(10_000, 2.5 * estimate));
}

/** The real Scheduler: definitions synced to cron_job, ticks claimed in the ledger. */
async function measureCronkit(sql: Sql): Promise<CronkitLags> {
	const marginMs = bootMargin();
	const instants = plan(marginMs);
	const lags = recorder();
	const startedAt = new Map<number, number>();
	let earlyStarts = 0;
	const definitions = Array.from({ length: JOBS }, (_, i) =>
		defineJob({
			key: `lag-${String(i).padStart(4, '0')}`,
			name: `fire lag ${i}`,
			schedule: patternFor(instants),
			handler: (ctx) => {
				const t = nowMs();
				const at = ctx.execution.scheduledFor?.getTime();
				// What a handler reading `new Date()` sees (whole milliseconds).
				if (at !== undefined && Date.now() < at) earlyStarts++;
				if (ctx.execution.trigger === 'schedule' && at !== undefined) lags.add(at, t - at);
				startedAt.set(ctx.execution.id, t);
			}
		})
	);
	const scheduler = createScheduler(sql, definitions, { concurrency: 100 });
	const t0 = performance.now();
	await scheduler.start();
	const bootMs = performance.now() - t0;
	const early = instants.filter((i) => i < Date.now()).length;
	await sleepUntil(instants[instants.length - 1]! + 2_000);
	await scheduler.stop(5_000);
	const rows = await sql<{ status: string; n: number }[]>`
		select status, count(*)::int as n from cron_job_execution group by status order by status`;
	const times = await sql<{ id: number; sched: number; claimed: number; started: number }[]>`
		select id, (extract(epoch from scheduled_for) * 1000)::float8 as sched, (extract(epoch from created_at) * 1000)::float8 as claimed,
			(extract(epoch from started_at) * 1000)::float8 as started
		from cron_job_execution where trigger = 'schedule'`;
	const claimLead = times.map((r) => r.claimed - r.sched);
	const recordedLag = times.map((r) => r.started - r.sched);
	const recordedVsHandler = times.flatMap((r) => {
		const t = startedAt.get(Number(r.id));
		return t === undefined ? [] : [t - r.started];
	});
	return { ...lags, bootMs, marginMs, early, earlyStarts, statuses: Object.fromEntries(rows.map((r) => [r.status, r.n])), claimLead, recordedLag, recordedVsHandler };
}

function row(label: string, s: Summary): string[] {
	return [label, String(s.n), fmt(s.p50), fmt(s.p99), fmt(s.max), fmt(s.mean)];
}

function perBurst(label: string, lags: Lags): void {
	const parts = [...lags.byBurst.entries()]
		.sort(([a], [b]) => a - b)
		.map(([at, l]) => {
			const s = summarize(l);
			return `${new Date(at).toISOString().slice(17, 19)}s: n=${s.n} first=${fmt(Math.min(...l))} p99=${fmt(s.p99)}`;
		});
	note(`${label} per burst: ${parts.join(' | ')}`);
}

await runBench('bench:fire-lag', async (db) => {
	heading(`fire lag: ${JOBS} jobs due in the same second, ${BURSTS} bursts ${SPACING_MS / 1000} s apart`);
	note('anchor: bare croner (one timer per job, no database) …');
	const croner = await measureCroner();
	note('cronkit: real Scheduler, claims recorded in PostgreSQL …');
	const sql = db.pool(20);
	const cronkit = await measureCronkit(sql);

	const c = summarize(cronkit.all);
	const a = summarize(croner.all);
	heading('results (ms from scheduled instant to handler start)');
	table([['', 'samples', 'p50', 'p99', 'max', 'mean'], row('cronkit', c), row('bare croner', a)]);
	perBurst('cronkit', cronkit);
	const lead = summarize(cronkit.claimLead);
	const recorded = summarize(cronkit.recordedLag);
	const agree = summarize(cronkit.recordedVsHandler);
	note(`cronkit breakdown: claim INSERT (db now()) relative to the instant p50 ${fmt(lead.p50)} min ${fmt(Math.min(...cronkit.claimLead))} ms (negative: claimed ahead);`);
	note(`                   recorded start (started_at, db time) − instant p50 ${fmt(recorded.p50)} p99 ${fmt(recorded.p99)} min ${fmt(Math.min(...cronkit.recordedLag))} ms;`);
	note(`                   handler start − recorded start p50 ${fmt(agree.p50)} p99 ${fmt(agree.p99)} ms; handlers that saw Date.now() before their instant: ${cronkit.earlyStarts}`);
	perBurst('croner ', croner);
	note(`cronkit boot (sync ${JOBS} jobs, catch-up, arm): ${fmt(cronkit.bootMs, 0)} ms (margin allowed ${fmt(cronkit.marginMs, 0)} ms); bursts already past at boot end: ${cronkit.early}`);
	note(`cronkit ledger rows by status: ${JSON.stringify(cronkit.statuses)}`);
	note(`ratio cronkit/croner: p50 ${fmt(c.p50 / a.p50, 2)}, p99 ${fmt(c.p99 / a.p99, 2)}, max ${fmt(c.max / a.max, 2)}`);
	const expected = JOBS * BURSTS;
	return [
		check(`cronkit p99 ≤ ${TARGET_P99_MS} ms`, c.p99 <= TARGET_P99_MS, `${fmt(c.p99)} ms (bare croner ${fmt(a.p99)} ms, ratio ${fmt(c.p99 / a.p99, 2)})`),
		check('every tick ran once', c.n === expected && (cronkit.statuses.succeeded ?? 0) === expected, `${c.n} handler starts, ${cronkit.statuses.succeeded ?? 0} succeeded rows, expected ${expected}`),
		check('no handler saw Date.now() before its instant', cronkit.earlyStarts === 0, `${cronkit.earlyStarts} early starts`)
	];
});
