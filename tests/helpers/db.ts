/**
 * A fresh database per test file, cloned from the migrated template made in global setup,
 * so files run in parallel without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';
import { openPool, wrap, type Db } from '../../src/lib/server/db';

export type TestDatabase = {
	url: string;
	sql: Sql;
	db: Db;
	/** Opens another pool on the same database (another "instance"). */
	pool(max?: number): Sql;
	/** Ends this pool with the others when the database is dropped. */
	track(pool: Sql): Sql;
	drop(): Promise<void>;
};

export async function createTestDatabase(): Promise<TestDatabase> {
	const adminUrl = inject('pgAdminUrl');
	const template = inject('pgTemplate');
	const name = `test_${randomBytes(6).toString('hex')}`;
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	await admin.unsafe(`create database ${name} template ${template}`);
	await admin.end();
	const u = new URL(adminUrl);
	u.pathname = `/${name}`;
	const url = u.toString();
	const pools: Sql[] = [];
	const pool = (max = 10) => {
		const p = openPool(url, max);
		pools.push(p);
		return p;
	};
	const sql = pool();
	return {
		url,
		sql,
		db: wrap(sql),
		pool,
		track(p) {
			pools.push(p);
			return p;
		},
		async drop() {
			await Promise.all(pools.map((p) => p.end({ timeout: 1 })));
			const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
			await a.unsafe(`drop database if exists ${name} with (force)`);
			await a.end();
		}
	};
}

/** The single value of a one-row, one-column query. */
export async function scalar<T = number>(rows: PromiseLike<readonly Record<string, unknown>[]>): Promise<T> {
	const [row] = await rows;
	if (!row) throw new Error('query returned no row');
	return Object.values(row)[0] as T;
}
