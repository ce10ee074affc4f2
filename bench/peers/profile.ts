/**
 * `npm run bench:peers -- --profile`: where the queue path's time goes, Cronkit beside the
 * peers, one trial each on a server with pg_stat_statements loaded. Per 1,000 jobs: statements
 * (pg_stat_statements, top level), their execution time, WAL by resource manager and by
 * relation and record type (pg_walinspect over the timed window: heap inserts and updates, row
 * locks, index insertions, full-page images), NOTIFYs heard on the systems' channels; and for
 * Cronkit a V8 CPU profile of the trial process (--cpu-prof), cut to the timed window and
 * grouped by source module.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fmt, heading, note, table } from '../lib';
import { SYSTEMS, type QueueResult, type SystemId } from './protocol';

type Deps = {
	jobs: number;
	/** The configurations of these systems are run. */
	systems: string[];
	profileDir: string;
	queueTrial(system: SystemId, inFlight: number, opts: { profile: boolean; cronkitJobs?: number }): Promise<QueueResult>;
};

type Config = { label: string; system: SystemId; inFlight: number; cronkitJobs?: number };

const CONFIGS: Config[] = [
	{ label: 'Cronkit, 50 in flight, runs over 50 jobs', system: 'cronkit', inFlight: 50, cronkitJobs: 50 },
	{ label: 'Cronkit, 50 in flight, runs of 1 job', system: 'cronkit', inFlight: 50, cronkitJobs: 1 },
	{ label: 'Cronkit, 200 in flight, runs over 50 jobs', system: 'cronkit', inFlight: 200, cronkitJobs: 50 },
	{ label: `${SYSTEMS['pg-boss']}, 50 in flight`, system: 'pg-boss', inFlight: 50 },
	{ label: `${SYSTEMS['graphile-batched']}, 50 in flight`, system: 'graphile-batched', inFlight: 50 },
	{ label: `${SYSTEMS.graphile}, 50 in flight`, system: 'graphile', inFlight: 50 }
];

const oneLine = (q: string, max = 110) => {
	const s = q.replace(/\s+/g, ' ').trim();
	return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};

// ---- V8 CPU profile ------------------------------------------------------------------

type CpuProfile = {
	nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }[];
	startTime: number;
	samples: number[];
	timeDeltas: number[];
};

/** esbuild marks where each source module starts in a bundle (`// ../../src/…/ledger.ts`). */
async function moduleMap(file: string): Promise<{ line: number; module: string }[]> {
	const text = await fs.readFile(file, 'utf8').catch(() => '');
	const out: { line: number; module: string }[] = [];
	text.split('\n').forEach((l, i) => {
		const m = /^\/\/ (?:\.\.\/)*((?:src|bench)\/\S+\.ts)$/.exec(l);
		if (m) out.push({ line: i, module: m[1]! });
	});
	return out;
}

async function groupOf(url: string, line: number, fn: string, maps: Map<string, { line: number; module: string }[]>): Promise<string> {
	if (fn === '(garbage collector)') return 'V8 garbage collector';
	if (fn === '(program)') return 'V8/native (program)';
	if (fn === '(idle)') return '(idle)';
	if (!url) return 'native/builtins';
	if (url.startsWith('node:')) return 'Node internals';
	const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
	if (pkg) return `package ${pkg[1]}`;
	if (url.includes('/.build/')) {
		const file = url.replace(/^file:\/\//, '');
		if (!maps.has(file)) maps.set(file, await moduleMap(file));
		const starts = maps.get(file)!;
		let module = 'bench bundle';
		for (const s of starts) if (s.line <= line) module = s.module;
		return module;
	}
	return url;
}

/** Self time of the profile's samples between `from` and `to` (monotonic µs), by source and by function. */
async function summarizeCpuProfile(file: string, from: number, to: number): Promise<void> {
	const prof = JSON.parse(await fs.readFile(file, 'utf8')) as CpuProfile;
	const byId = new Map(prof.nodes.map((n) => [n.id, n]));
	const self = new Map<number, number>();
	let t = prof.startTime;
	for (let i = 0; i < prof.samples.length; i++) {
		t += prof.timeDeltas[i] ?? 0;
		if (t < from || t > to) continue;
		const id = prof.samples[i]!;
		self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i + 1] ?? prof.timeDeltas[i] ?? 0));
	}
	const maps = new Map<string, { line: number; module: string }[]>();
	const groups = new Map<string, number>();
	const fns = new Map<string, { group: string; us: number }>();
	for (const [id, us] of self) {
		const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
		const group = await groupOf(url, lineNumber, functionName, maps);
		groups.set(group, (groups.get(group) ?? 0) + us);
		const key = `${functionName || '(anonymous)'} [${group}]`;
		const f = fns.get(key) ?? { group, us: 0 };
		f.us += us;
		fns.set(key, f);
	}
	const busy = [...groups].filter(([g]) => g !== '(idle)').reduce((s, [, us]) => s + us, 0);
	note(
		`Node CPU profile from the first handler to the end (boot left out): ${fmt(busy / 1000, 0)} ms busy, ${fmt((groups.get('(idle)') ?? 0) / 1000, 0)} ms idle; self time by source`
	);
	note("(V8 samples wall time: a thread descheduled inside a system call, e.g. a write() that woke a backend, is charged to that call)");
	table([
		['source', 'ms', '% of busy'],
		...[...groups]
			.filter(([g]) => g !== '(idle)')
			.sort((a, b) => b[1] - a[1])
			.slice(0, 16)
			.map(([g, us]) => [g, fmt(us / 1000, 0), fmt((us / busy) * 100, 1)])
	]);
	note('top functions by self time:');
	table([
		['function [source]', 'ms', '% of busy'],
		...[...fns]
			.filter(([, f]) => f.group !== '(idle)')
			.sort((a, b) => b[1].us - a[1].us)
			.slice(0, 20)
			.map(([k, f]) => [k, fmt(f.us / 1000, 0), fmt((f.us / busy) * 100, 1)])
	]);
}

// ---- one configuration -------------------------------------------------------------

function report(c: Config, q: QueueResult): void {
	const per1k = (x: number) => (x / q.done) * 1000;
	const p = q.profile!;
	const top = p.statements.filter((s) => s.toplevel);
	const nested = p.statements.filter((s) => !s.toplevel);
	const calls = top.reduce((s, x) => s + x.calls, 0);
	const execMs = top.reduce((s, x) => s + x.ms, 0);
	const planMs = top.reduce((s, x) => s + x.planMs, 0);
	heading(c.label);
	note(
		`${q.done} jobs in ${fmt(q.ms / 1000, 2)} s = ${fmt((q.done * 1000) / q.ms, 0)} jobs/s; CPU per 1,000 jobs: PostgreSQL ${fmt(per1k(q.pgCpuMs) / 1000, 3)} s, Node ${fmt(per1k(q.nodeCpuMs) / 1000, 3)} s (${fmt((q.nodeSystemMs / q.nodeCpuMs) * 100, 0)}% of it in the kernel)`
	);
	note(
		`per 1,000 jobs: ${fmt(per1k(calls), 0)} top-level statements, ${fmt(per1k(execMs), 0)} ms executing and ${fmt(per1k(planMs), 0)} ms planning them; WAL ${fmt(per1k(q.walBytes) / 1024, 0)} KB; ${fmt(per1k(q.notifies), 1)} NOTIFYs heard (${fmt(per1k(q.notifyBytes) / 1024, 1)} KB of payload)`
	);
	note(`first handler ${fmt((q.monoUs[1] - q.monoUs[0]) / 1000, 0)} ms after the worker was started`);
	if (nested.length) note(`(nested statements inside functions, not counted above: ${fmt(per1k(nested.reduce((s, x) => s + x.calls, 0)), 0)} per 1,000 jobs)`);
	table([
		['top-level statement', 'calls/1k', 'exec ms/call', 'plans/call', 'plan ms/call', 'ms/1k', 'rows/call', 'WAL B/job'],
		...top
			.slice(0, 10)
			.map((s) => [
				oneLine(s.query),
				fmt(per1k(s.calls), 1),
				fmt(s.ms / s.calls, 3),
				fmt(s.plans / s.calls, 2),
				fmt(s.plans ? s.planMs / s.plans : 0, 3),
				fmt(per1k(s.ms + s.planMs), 0),
				fmt(s.rows / s.calls, 1),
				fmt(s.walBytes / q.done, 0)
			])
	]);
	note('WAL by resource manager (bytes per job, of which full-page images):');
	table([
		['kind', 'records/job', 'B/job', 'FPI B/job'],
		...p.walByKind.slice(0, 8).map((w) => [w.kind, fmt(w.records / q.done, 2), fmt(w.bytes / q.done, 0), fmt(w.fpiBytes / q.done, 0)])
	]);
	note('WAL by relation and record type:');
	table([
		['relation', 'record', 'records/job', 'B/job', 'FPI B/job'],
		...p.walByRelation.slice(0, 18).map((w) => [w.relation, w.kind, fmt(w.records / q.done, 2), fmt(w.bytes / q.done, 0), fmt(w.fpiBytes / q.done, 0)])
	]);
}

export async function profileQueue(deps: Deps): Promise<void> {
	heading(`profile: ${deps.jobs} no-op jobs, pool 20, one trial per configuration, pg_stat_statements and pg_walinspect`);
	for (const c of CONFIGS.filter((x) => deps.systems.includes(x.system))) {
		const q = await deps.queueTrial(c.system, c.inFlight, { profile: true, cronkitJobs: c.cronkitJobs });
		report(c, q);
		if (c.system === 'cronkit') {
			const files = (await fs.readdir(deps.profileDir)).filter((f) => f.endsWith('.cpuprofile'));
			for (const f of files) {
				await summarizeCpuProfile(path.join(deps.profileDir, f), q.monoUs[1], q.monoUs[2]);
				await fs.rm(path.join(deps.profileDir, f));
			}
		}
	}
}
