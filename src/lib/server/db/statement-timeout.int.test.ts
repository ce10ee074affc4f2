/**
 * The client-side statement limit on real PostgreSQL: a slow statement (the server alive, the
 * cancel delivered) on the shared test server, and a frozen server (every process stopped with
 * SIGSTOP, nothing answers) on an embedded server of this file's own.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql as dsql } from 'drizzle-orm';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { freezeCluster } from '../../../../tests/helpers/postgres-freeze';
import { openPool, unbounded, wrap } from '.';
import { startEmbedded, type EmbeddedServer } from './embedded';
import { unavailableCode } from './faults';
import { StatementTimeoutError } from './statement-timeout';

/** Settles `p` and says how long it took, failing the test past `deadlineMs`. */
async function timed<T>(p: Promise<T>, deadlineMs = 30_000): Promise<{ ms: number; value?: T; error?: unknown }> {
	const t0 = performance.now();
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still pending after ${deadlineMs} ms`)), deadlineMs)));
	try {
		const value = await Promise.race([p, deadline]);
		return { ms: performance.now() - t0, value };
	} catch (error) {
		if (error instanceof Error && error.message.startsWith('still pending')) throw error;
		return { ms: performance.now() - t0, error };
	} finally {
		clearTimeout(timer);
	}
}

async function until(what: string, check: () => Promise<boolean>, deadlineMs = 20_000): Promise<void> {
	const deadline = Date.now() + deadlineMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`${what}: not within ${deadlineMs} ms`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** Rows of pg_stat_activity still running a statement that contains `marker`. */
const running = (observer: Sql, marker: string) =>
	scalar<number>(observer`select count(*)::int from pg_stat_activity where state = 'active' and query like ${`%${marker}%`} and pid <> pg_backend_pid()`);

describe('statement limit, server alive', () => {
	const LIMIT = 400;
	let t: TestDatabase;
	let sql: Sql;
	beforeAll(async () => {
		t = await createTestDatabase();
		sql = openPool(t.url, 4, LIMIT);
	});
	afterAll(async () => {
		await sql?.end({ timeout: 1 });
		await t?.drop();
	});

	it('stops waiting for a slow statement at the limit and cancels it on the server', async () => {
		const cases: [string, () => Promise<unknown>][] = [
			['tagged', () => sql`select pg_sleep(30), 'tagged-slow'`],
			['unsafe', () => sql.unsafe(`select pg_sleep(30), 'unsafe-slow'`)],
			['values', () => sql`select pg_sleep(30), 'values-slow'`.values()],
			['drizzle', () => wrap(sql).execute(dsql`select pg_sleep(30), 'drizzle-slow'`)]
		];
		for (const [name, query] of cases) {
			const r = await timed(query());
			expect(unavailableCode(r.error), name).toBe('DB_STATEMENT_TIMEOUT');
			expect(r.ms, name).toBeGreaterThanOrEqual(LIMIT - 5);
			expect(r.ms, name).toBeLessThan(LIMIT + 5_000);
			// The backend stops running it: the cancel request reached the server.
			await until(`${name}: statement cancelled`, async () => (await running(t.sql, `${name}-slow`)) === 0);
		}
		// The pool is still usable.
		expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
	});

	it('fails a transaction at its slow statement and rolls it back', async () => {
		await t.sql`create table if not exists tx_probe (v text)`;
		const r = await timed(
			sql.begin(async (tx) => {
				await tx`insert into tx_probe values ('written before the slow statement')`;
				await tx`select pg_sleep(30), 'tx-slow'`;
			})
		);
		expect(r.error).toBeInstanceOf(StatementTimeoutError);
		expect(r.ms).toBeLessThan(LIMIT + 5_000);
		await until('transaction rolled back', async () => (await running(t.sql, 'tx-slow')) === 0);
		await until('its connection is free again', async () => (await sql`select count(*)::int as n from tx_probe`)[0]!.n === 0);
	});

	it('leaves fast queries, fragments, helpers and notify alone', async () => {
		const id = 7;
		const fragment = sql`where v = ${id}`;
		expect(await sql`select v from (select ${id}::int as v) s ${fragment}`).toEqual([{ v: 7 }]);
		await sql`create table if not exists helper_probe (a int, b text)`;
		expect(await sql`insert into helper_probe ${sql({ a: 1, b: 'x' })} returning a, b`).toEqual([{ a: 1, b: 'x' }]);
		expect(await sql`select * from (values (1, 2)) v(a, b)`.values()).toEqual([[1, 2]]);
		expect(await sql.begin(async (tx) => (await tx`select 2 as two`)[0]!.two)).toBe(2);
		await expect(sql.notify('cronkit_test', 'hello')).resolves.toBeDefined();
		expect(() => sql.reserve()).toThrow(/unbounded\(sql\)\.reserve\(\)/);
	});

	it('does not limit unbounded(sql), nor LISTEN', async () => {
		const seconds = (LIMIT * 2) / 1000;
		expect(await unbounded(sql)`select 'unbounded' as ok from pg_sleep(${seconds})`).toEqual([{ ok: 'unbounded' }]);
		expect(await unbounded(sql).begin(async (tx) => (await tx`select 1 as one from pg_sleep(${seconds})`)[0]!.one)).toBe(1);

		const received: string[] = [];
		const listener = await sql.listen('cronkit_limit_test', (payload) => received.push(payload));
		// Idle for longer than the limit, then notified: the LISTEN connection is still there.
		await new Promise((r) => setTimeout(r, LIMIT * 3));
		await t.sql`select pg_notify('cronkit_limit_test', 'after idling')`;
		await until('notification received', async () => received.includes('after idling'));
		await listener.unlisten();
		expect(received).toEqual(['after idling']);
	});
});

describe('statement limit, frozen server', () => {
	const LIMIT = 500;
	let dataDir: string;
	let server: EmbeddedServer;
	let sql: Sql;
	let thaw: (() => Promise<void>) | undefined;
	beforeAll(async () => {
		dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-frozen-'));
		server = await startEmbedded({ dataDir, mode: 'own', settings: { fsync: 'off', shared_buffers: '32MB', wal_buffers: '1MB' } });
		sql = openPool(server.url, 3, LIMIT);
		await sql`create table if not exists frozen_probe (v int)`;
	});
	afterAll(async () => {
		await thaw?.();
		await sql?.end({ timeout: 1 });
		await server?.stop();
		await fs.rm(dataDir, { recursive: true, force: true });
	});

	it('answers every kind of query with a time-out, then works again after the thaw', async () => {
		const db = wrap(sql);
		thaw = await freezeCluster(path.join(dataDir, 'postgres'));
		// More queries than connections: some wait in the pool's queue, some in busy pipelines.
		const queries: [string, Promise<unknown>][] = [
			...Array.from({ length: 8 }, (_, i): [string, Promise<unknown>] => [`tagged ${i}`, sql`select ${i}`]),
			['unsafe', sql.unsafe('select 1')],
			['begin', sql.begin((tx) => tx`insert into frozen_probe values (1)`)],
			['drizzle', db.execute(dsql`select 1`)],
			['notify', sql.notify('cronkit_frozen', 'x')]
		];
		const results = await Promise.all(queries.map(async ([name, q]) => ({ name, ...(await timed(q)) })));
		for (const r of results) {
			expect(unavailableCode(r.error), r.name).toBe('DB_STATEMENT_TIMEOUT');
			expect(r.ms, r.name).toBeLessThan(LIMIT + 5_000);
		}
		// A transaction started now cannot even get its BEGIN through.
		const late = await timed(sql.begin((tx) => tx`select 1`));
		expect(late.error).toBeInstanceOf(StatementTimeoutError);
		expect((late.error as Error).message).toMatch(/start of a transaction/);

		await thaw();
		thaw = undefined;
		// Same pool, no restart: queries succeed again once the stuck connections drain.
		await until('queries succeed after the thaw', () => sql`select 1 as one`.then((r) => r[0]!.one === 1, () => false));
		await until('transactions succeed after the thaw', () =>
			sql.begin((tx) => tx`insert into frozen_probe values (2) returning v`).then((r) => r[0]!.v === 2, () => false)
		);
		// Nothing given up on was committed behind the caller's back.
		expect(await sql`select distinct v from frozen_probe order by v`).toEqual([{ v: 2 }]);
	});
});
