/**
 * A fresh database per test file, cloned from the migrated template made in global setup,
 * so files run in parallel without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';
import { openPool, wrap, type Db } from '../../src/lib/server/db';
import { migrate, migrationsFolder } from '../../src/lib/server/db/migrate';

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

/**
 * An empty database migrated up to (not including) the migration whose tag ends with `tag`, for
 * testing what that migration does to rows written before it. Apply the rest with `migrate`.
 */
export async function createDatabaseBefore(tag: string): Promise<TestDatabase> {
	const t = await createTestDatabase();
	await t.sql`drop schema public cascade`;
	await t.sql`create schema public`;
	await t.sql`drop schema drizzle cascade`;
	const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-migrations-'));
	try {
		const journal = JSON.parse(await fs.readFile(path.join(migrationsFolder(), 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
		const cut = journal.entries.findIndex((e) => e.tag.endsWith(tag));
		if (cut < 0) throw new Error(`no migration ${tag}`);
		journal.entries = journal.entries.slice(0, cut);
		await fs.mkdir(path.join(dir, 'meta'));
		await fs.writeFile(path.join(dir, 'meta/_journal.json'), JSON.stringify(journal));
		for (const e of journal.entries) await fs.copyFile(path.join(migrationsFolder(), `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
		await migrate(t.sql, dir);
	} finally {
		await fs.rm(dir, { recursive: true, force: true });
	}
	return t;
}
