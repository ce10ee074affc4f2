import path from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Sql } from 'postgres';
import { unbounded } from './statement-timeout';

/** Any constant shared by every instance: the key of the migration advisory lock. */
const MIGRATION_LOCK_KEY = 7_263_541_877;

export function migrationsFolder(): string {
	return process.env.CRONKIT_MIGRATIONS_DIR ?? path.resolve('drizzle');
}

/**
 * Applies drizzle-kit's committed migrations in one transaction under an advisory lock, so
 * instances booting together do not race: the first applies, the others wait and find nothing
 * left to do. Bookkeeping uses drizzle's own table, so drizzle-kit sees the same history.
 * Exempt from DB_STATEMENT_TIMEOUT_MS: a migration may rewrite a large table.
 */
export async function migrate(sql: Sql, folder = migrationsFolder()): Promise<number> {
	const migrations = readMigrationFiles({ migrationsFolder: folder });
	return unbounded(sql).begin(async (tx) => {
		await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
		await tx`create schema if not exists drizzle`;
		await tx`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`;
		const [last] = await tx<{ created_at: string }[]>`
			select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`;
		const appliedUpTo = last ? Number(last.created_at) : -1;
		let applied = 0;
		for (const m of migrations) {
			if (m.folderMillis <= appliedUpTo) continue;
			for (const statement of m.sql) if (statement.trim()) await tx.unsafe(statement);
			await tx`insert into drizzle.__drizzle_migrations (hash, created_at) values (${m.hash}, ${m.folderMillis})`;
			applied++;
		}
		return applied;
	});
}
