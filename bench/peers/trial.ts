/**
 * One trial in its own process: one system, one fresh database, one measurement; then exit.
 * Started by main.ts (child_process.fork) with the spec as its first message. Every wait is
 * bounded by the spec's deadline; past it the process exits by itself.
 */
import postgres, { type Sql } from 'postgres';
import { nowMs, sleep } from '../time';
import { processCpuMs, processSystemCpuMs, serverCpuMs } from './proc';
import { BENCH_ROLE, type CronSpec, type DbProfile, type FromTrial, type IdleSpec, type QueueResult, type QueueSpec, type SystemId, type ToTrial, type TrialSpec } from './protocol';
import type { System } from './rig';

/** Only the system under test is loaded: the others' code would weigh on its memory. */
async function load(system: SystemId): Promise<System> {
	if (system === 'cronkit') return (await import('./cronkit')).cronkit;
	if (system === 'pg-boss' || system === 'pg-boss-1s') return (await import('./pg-boss')).pgBoss;
	return (await import('./graphile')).graphile;
}

function send(msg: FromTrial): Promise<void> {
	return new Promise((resolve, reject) => process.send!(msg, undefined, {}, (err) => (err ? reject(err) : resolve())));
}

function nextMessage(): Promise<ToTrial> {
	return new Promise((resolve) => process.once('message', (m: ToTrial) => resolve(m)));
}

/** Resolves when `done()` holds, checking every `everyMs`; false at the deadline. */
async function until(done: () => boolean | Promise<boolean>, deadline: number, everyMs: number): Promise<boolean> {
	for (;;) {
		if (await done()) return true;
		if (Date.now() > deadline) return false;
		await sleep(everyMs);
	}
}

async function walLsn(admin: Sql): Promise<string> {
	const [{ lsn }] = await admin.unsafe<[{ lsn: string }]>(`select pg_current_wal_lsn()::text as lsn`);
	return lsn;
}

const monoUs = () => Number(process.hrtime.bigint() / 1000n);

/** Profile mode: what the database did between two WAL positions, and the statements since the reset. */
async function dbProfile(admin: Sql, from: string, to: string): Promise<DbProfile> {
	const statements = await admin.unsafe<DbProfile['statements']>(
		`select query, toplevel, calls::float8 as calls, total_exec_time as ms, total_plan_time as "planMs", plans::float8 as plans,
			rows::float8 as rows, wal_bytes::float8 as "walBytes"
		from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
			and userid <> (select oid from pg_roles where rolname = '${BENCH_ROLE}')
		order by total_exec_time desc`
	);
	const walByKind = await admin.unsafe<DbProfile['walByKind']>(
		`select "resource_manager/record_type" as kind, count::float8 as records, combined_size::float8 as bytes, fpi_size::float8 as "fpiBytes"
		from pg_get_wal_stats($1::pg_lsn, $2::pg_lsn) where count > 0 order by combined_size desc`,
		[from, to] as never
	);
	// Block references by relation: a record touching two blocks is counted for its first
	// block (block_id 0) in records and bytes; full-page images for every block.
	const walByRelation = await admin.unsafe<DbProfile['walByRelation']>(
		`with b as (
			select * from pg_get_wal_block_info($1::pg_lsn, $2::pg_lsn, false)
		), named as (
			select coalesce(c.relname, 'relfilenode ' || b.relfilenode) as relation, b.resource_manager || '/' || b.record_type as kind,
				b.block_id, b.record_length, b.block_fpi_length
			from b left join pg_class c on pg_relation_filenode(c.oid) = b.relfilenode
				and b.reldatabase in (0, (select oid from pg_database where datname = current_database()))
			where b.relforknumber = 0
		)
		select relation, kind, count(*) filter (where block_id = 0)::float8 as records,
			coalesce(sum(record_length) filter (where block_id = 0), 0)::float8 as bytes, sum(coalesce(block_fpi_length, 0))::float8 as "fpiBytes"
		from named group by relation, kind order by bytes desc`,
		[from, to] as never
	);
	return { statements, walByKind, walByRelation };
}

async function queue(system: System, spec: QueueSpec, admin: Sql): Promise<QueueResult> {
	if (spec.profile) {
		await admin.unsafe(`create extension pg_stat_statements`);
		await admin.unsafe(`create extension pg_walinspect`);
	}
	const rig = await system.queue(spec, admin);
	// Every system starts from the same state: statistics fresh, nothing dirty to flush.
	await admin.unsafe('vacuum analyze');
	await admin.unsafe('checkpoint');
	let notifies = 0;
	let notifyBytes = 0;
	const listening = spec.countNotifies
		? await Promise.all(
				rig.channels.map((c) =>
					admin.listen(c, (payload) => {
						notifies++;
						notifyBytes += Buffer.byteLength(payload);
					})
				)
			)
		: [];
	let handled = 0;
	const marks: number[] = [];
	const step = Math.max(1, Math.floor(spec.jobs / 10));
	if (spec.profile) await admin.unsafe(`select pg_stat_statements_reset()`);
	const wal0 = await walLsn(admin);
	const pg0 = serverCpuMs(spec.postmaster);
	const node0 = processCpuMs('self');
	const sys0 = processSystemCpuMs('self');
	const mono0 = monoUs();
	const t0 = nowMs();
	let first = NaN;
	let monoFirst = NaN;
	// Resolved by the last handler: nothing polls while the jobs run.
	let allStarted: () => void = () => {};
	const lastStart = new Promise<boolean>((resolve) => (allStarted = () => resolve(true)));
	await rig.start(() => {
		if (handled++ === 0) {
			first = nowMs();
			monoFirst = monoUs();
		}
		if (handled % step === 0) marks.push(nowMs());
		if (handled === spec.jobs) allStarted();
	});
	// Handlers are counted here; completions are then read from the database until durable.
	let timer: NodeJS.Timeout | undefined;
	const started = await Promise.race([lastStart, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), spec.deadline - Date.now())))]);
	clearTimeout(timer);
	const durable = started && (await until(async () => (await rig.completed()) >= spec.jobs, spec.deadline, 5));
	const t1 = nowMs();
	const mono1 = monoUs();
	const node1 = processCpuMs('self');
	const sys1 = processSystemCpuMs('self');
	const pg1 = serverCpuMs(spec.postmaster);
	const wal1 = await walLsn(admin);
	const profile = spec.profile ? await dbProfile(admin, wal0, wal1) : undefined;
	const [{ walBytes }] = await admin.unsafe<[{ walBytes: number }]>(`select pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::float8 as "walBytes"`, [
		wal1,
		wal0
	] as never);
	const done = durable ? spec.jobs : await rig.completed();
	await Promise.all(listening.map((l) => l.unlisten()));
	const kept = await rig.kept();
	await rig.stop();
	// marks[0] at 10% of the jobs, marks[8] at 90%.
	const steadyRps = marks.length >= 9 ? (8 * step * 1000) / (marks[8]! - marks[0]!) : NaN;
	return {
		done,
		ms: t1 - t0,
		steadyRps,
		firstMs: first - t0,
		nodeCpuMs: node1 - node0,
		nodeSystemMs: sys1 - sys0,
		pgCpuMs: pg1 - pg0,
		walBytes,
		notifies,
		notifyBytes,
		kept,
		monoUs: [mono0, monoFirst, mono1],
		profile
	};
}

async function cron(system: System, spec: CronSpec, admin: Sql): Promise<void> {
	const lags: number[] = [];
	let early = 0;
	const t0 = nowMs();
	const running = await system.cron(
		spec,
		() => {
			const lag = nowMs() - spec.at;
			if (lag < 0) early++;
			lags.push(lag);
		},
		admin
	);
	const bootMs = nowMs() - t0;
	await send({ type: 'ready' });
	await until(() => lags.length >= spec.jobs, spec.deadline, 20);
	const detail = await running.detail?.();
	await running.stop();
	await send({ type: 'cron', result: { lags, early, bootMs, detail } });
}

async function idle(system: System, spec: IdleSpec, admin: Sql): Promise<void> {
	const running = await system.idle(spec, admin);
	await send({ type: 'ready' });
	const stop = await Promise.race([nextMessage(), sleep(spec.deadline - Date.now()).then(() => null)]);
	if (stop === null) throw new Error('no stop before the deadline');
	const kept = await running.kept();
	await running.stop();
	await send({ type: 'idle', result: { kept } });
}

async function main(): Promise<void> {
	const first = await nextMessage();
	if (first.type !== 'spec') throw new Error(`expected a spec, got ${first.type}`);
	const spec: TrialSpec = first.spec;
	const watchdog = setTimeout(() => {
		console.error(`trial ${spec.kind}/${spec.system}: deadline passed, exiting`);
		process.exit(3);
	}, spec.deadline - Date.now() + 5_000);
	watchdog.unref();
	const admin = postgres(spec.url, { max: 1, onnotice: () => {}, connection: { application_name: 'bench-admin', role: BENCH_ROLE } });
	try {
		const system = await load(spec.system);
		if (spec.kind === 'queue') await send({ type: 'queue', result: await queue(system, spec, admin) });
		else if (spec.kind === 'cron') await cron(system, spec, admin);
		else await idle(system, spec, admin);
	} finally {
		await admin.end({ timeout: 2 });
	}
}

main().then(
	() => process.exit(0),
	async (err: unknown) => {
		await send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }).catch(() => undefined);
		process.exit(1);
	}
);
