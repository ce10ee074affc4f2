import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql, type TransactionSql } from 'postgres';
import * as schema from './schema';
import { startEmbedded, type EmbeddedServer } from './embedded';
import { DEFAULT_STATEMENT_TIMEOUT_MS, limitQuery, unbounded, withStatementTimeout } from './statement-timeout';

export { unbounded } from './statement-timeout';

/**
 * The database handles, one name each: `Sql` (postgres.js) is the pool; `Queryable` is what a
 * statement runs on, the pool or one of its transactions (functions that open no transaction
 * take it); `Db` is Drizzle over the pool, whose `$client` is the pool for SQL-first code.
 */
export type Db = PostgresJsDatabase<typeof schema> & { $client: Sql };
export type Queryable = Sql | TransactionSql;

export type Database = {
	/** The pool, every query limited to DB_STATEMENT_TIMEOUT_MS (`unbounded(sql)` lifts it). */
	sql: Sql;
	db: Db;
	url: string;
	embedded: EmbeddedServer | undefined;
	/** Is the server answering? Used by /healthz. */
	ping(): Promise<boolean>;
	close(): Promise<void>;
};

export type ConnectOptions = {
	databaseUrl: string | undefined;
	dataDir: string;
	/** `own` for the app, `attach` for the CLI (reuse the app's embedded server). */
	mode?: 'own' | 'attach';
	max?: number;
	/** DB_STATEMENT_TIMEOUT_MS: the limit on each query (statement-timeout.ts). */
	statementTimeoutMs?: number;
	log?: (line: string) => void;
	notice?: (line: string) => void;
};

/** How long /healthz waits for `select 1` (less when the statement limit is lower). */
const PING_MS = 2000;

/**
 * A postgres.js pool whose every query is limited to `statementTimeoutMs`
 * (statement-timeout.ts); `unbounded(pool)` is the same pool without the limit.
 */
export function openPool(url: string, max = 20, statementTimeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS): Sql {
	const pool = postgres(url, {
		max,
		onnotice: () => {},
		// Fail fast when the server is gone instead of queueing forever.
		connect_timeout: 10,
		// Reconnect attempts at most a second apart (postgres.js's default backs off to 20 s):
		// work resumes within a second of the database's return.
		backoff: (retries: number) => Math.min(0.1 * 2 ** Math.max(0, retries - 1), 1),
		idle_timeout: 60,
		connection: { application_name: 'cronkit' },
		// Ids and counts are int8; they stay far below 2^53, so plain numbers are exact.
		types: { bigint: { to: 20, from: [20], serialize: (n: number) => String(n), parse: (s: string) => Number(s) } }
	});
	return withStatementTimeout(pool, statementTimeoutMs);
}

/**
 * Drizzle over a postgres.js pool. Drizzle swaps the pool's date parsers and serializers for
 * pass-through ones (it converts dates itself); raw SQL on the same pool then gets strings.
 * Restoring postgres.js's own keeps raw queries returning Dates, and Drizzle's `mode: 'date'`
 * timestamptz columns accept a Date as readily as a string.
 */
export function wrap(sql: Sql): Db {
	const saved = { parsers: { ...sql.options.parsers }, serializers: { ...sql.options.serializers } };
	const db = drizzle(sql, { schema });
	for (const kind of ['parsers', 'serializers'] as const) {
		const table = sql.options[kind] as Record<string, unknown>;
		for (const k of Object.keys(table)) if (!(k in saved[kind])) delete table[k];
		Object.assign(table, saved[kind]);
	}
	return db;
}

export async function connect(opts: ConnectOptions): Promise<Database> {
	let embedded: EmbeddedServer | undefined;
	let url = opts.databaseUrl;
	if (!url) {
		embedded = await startEmbedded({ dataDir: opts.dataDir, mode: opts.mode ?? 'own', log: opts.log, notice: opts.notice });
		url = embedded.url;
	}
	const statementTimeoutMs = opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
	const sql = openPool(url, opts.max, statementTimeoutMs);
	try {
		await sql`select 1`;
	} catch (err) {
		await sql.end({ timeout: 1 });
		await embedded?.stop();
		const e = err as NodeJS.ErrnoException;
		throw new Error(`cannot reach the database (${e.code ?? e.message})`);
	}
	return {
		sql,
		db: wrap(sql),
		url,
		embedded,
		ping() {
			return limitQuery(unbounded(sql)`select 1`, Math.min(PING_MS, statementTimeoutMs)).then(
				() => true,
				() => false
			);
		},
		async close() {
			await sql.end({ timeout: 5 });
			await embedded?.stop();
		}
	};
}
