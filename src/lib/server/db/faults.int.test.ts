/**
 * Which real failures count as "database unavailable": errors produced by postgres.js and
 * Drizzle against a real server (or a port nobody listens on), not hand-made error objects.
 */
import { sql as dsql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { faultProxy } from '../../../../tests/helpers/fault-proxy';
import { freePort } from '../../../../tests/helpers/serve';
import { fieldError } from '../errors';
import { openPool, wrap } from '.';
import { unavailableCode } from './faults';

const failure = (p: PromiseLike<unknown>) => Promise.resolve(p).then(() => expect.unreachable('should have failed'), (err: unknown) => err);

let t: TestDatabase;
beforeAll(async () => {
	t = await createTestDatabase();
});
afterAll(() => t?.drop());

describe('unavailableCode', () => {
	it('recognises a refused connection, bare and wrapped by Drizzle', async () => {
		const url = new URL(t.url);
		url.port = String(await freePort());
		const sql = openPool(url.toString(), 1);
		try {
			const bare = await failure(sql`select 1`);
			expect(unavailableCode(bare)).toBe('ECONNREFUSED');
			const wrapped = await failure(wrap(sql).execute(dsql`select 1`));
			expect(wrapped).not.toHaveProperty('code', 'ECONNREFUSED'); // Drizzle's own error …
			expect(unavailableCode(wrapped)).toBe('ECONNREFUSED'); // … with the driver's as its cause
		} finally {
			await sql.end({ timeout: 1 });
		}
	});

	it('recognises a backend terminated by the server and a pool that has ended', async () => {
		const sql = openPool(t.url, 1);
		const [{ pid }] = await sql<[{ pid: number }]>`select pg_backend_pid() as pid`;
		const sleeping = failure(sql`select pg_sleep(30)`);
		// Terminated while it runs the statement (not before it arrives).
		for (let i = 0; !(await t.sql`select 1 from pg_stat_activity where pid = ${pid} and state = 'active'`).length; i++) {
			if (i > 400) throw new Error('the statement never started');
			await new Promise((r) => setTimeout(r, 50));
		}
		await t.sql`select pg_terminate_backend(${pid})`;
		// postgres.js reports the FATAL 57P01 (admin_shutdown) or the closed socket, whichever it reads first.
		expect(unavailableCode(await sleeping)).toMatch(/^(57P01|CONNECTION_CLOSED)$/);
		await sql.end({ timeout: 1 });
		expect(unavailableCode(await failure(sql`select 1`))).toBe('CONNECTION_ENDED');
	});

	it('leaves errors of the request or the code alone', async () => {
		await t.sql`create table if not exists fault_probe (k text primary key)`;
		await t.sql`insert into fault_probe values ('taken')`;
		const duplicate = await failure(wrap(t.sql).execute(dsql`insert into fault_probe values ('taken')`));
		expect(unavailableCode(duplicate)).toBeUndefined();
		expect(unavailableCode(await failure(t.sql`selec 1`))).toBeUndefined();
		expect(unavailableCode(fieldError('key', 'is required'))).toBeUndefined();
		expect(unavailableCode(null)).toBeUndefined();
	});
});

describe('a reconnecting pool', () => {
	it('reads the array types once, not again on each new connection (a drop during that read went unhandled)', async () => {
		const sql = openPool(t.url, 1);
		const statements: string[] = [];
		(sql.options as { debug?: unknown }).debug = (_: number, text: string) => void statements.push(text);
		try {
			const [first] = await sql<[{ pid: number; ids: number[] }]>`select pg_backend_pid() as pid, array[1, 2]::int4[] as ids`;
			expect(first.ids).toEqual([1, 2]);
			expect(statements.filter((s) => s.includes('pg_catalog.pg_type'))).toHaveLength(1);
			await t.sql`select pg_terminate_backend(${first.pid})`;
			// The next query finds the connection gone, or runs on a new one: either way a new backend.
			let again: { pid: number; ids: number[] } | undefined;
			for (let i = 0; i < 50 && !again; i++) [again] = await sql<[{ pid: number; ids: number[] }]>`select pg_backend_pid() as pid, array[3]::int4[] as ids`.catch(() => []);
			expect(again?.pid).not.toBe(first.pid);
			expect(again?.ids).toEqual([3]);
			expect(statements.filter((s) => s.includes('pg_catalog.pg_type'))).toHaveLength(1);
		} finally {
			await sql.end({ timeout: 1 });
		}
	});

	it('answers again after its connection is reset in the middle of a statement, every time', async () => {
		const proxy = await faultProxy(t.url);
		// One connection, so a connection left waiting for an answer that never comes would hang every query.
		const sql = openPool(proxy.url, 1, 2_000);
		try {
			for (let round = 0; round < 20; round++) {
				await sql`select 1`;
				const sleeping = failure(sql`select pg_sleep(5)`);
				for (let i = 0; !(await t.sql`select 1 from pg_stat_activity where query = 'select pg_sleep(5)' and state = 'active'`).length; i++) {
					if (i > 400) throw new Error('the statement never started');
					await new Promise((r) => setTimeout(r, 10));
				}
				proxy.cut();
				expect(unavailableCode(await sleeping)).toMatch(/^(ECONNRESET|CONNECTION_CLOSED)$/);
				// Within three statement limits at most (the first may still meet the old socket).
				let answered = false;
				for (let i = 0; i < 3 && !answered; i++) answered = await sql`select 1`.then(() => true, () => false);
				expect(answered, `round ${round}`).toBe(true);
			}
		} finally {
			await sql.end({ timeout: 1 });
			await proxy.close();
		}
	});
});

