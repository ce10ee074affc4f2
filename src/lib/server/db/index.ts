import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import * as schema from './schema';
import { startEmbedded, type EmbeddedServer } from './embedded';

export type Db = PostgresJsDatabase<typeof schema>;

export type Database = {
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
	log?: (line: string) => void;
	notice?: (line: string) => void;
};

export function openPool(url: string, max = 20): Sql {
	return postgres(url, {
		max,
		onnotice: () => {},
		// Fail fast when the server is gone instead of queueing forever.
		connect_timeout: 10,
		idle_timeout: 60,
		connection: { application_name: 'cronkit' }
	});
}

export function wrap(sql: Sql): Db {
	return drizzle(sql, { schema });
}

export async function connect(opts: ConnectOptions): Promise<Database> {
	let embedded: EmbeddedServer | undefined;
	let url = opts.databaseUrl;
	if (!url) {
		embedded = await startEmbedded({ dataDir: opts.dataDir, mode: opts.mode ?? 'own', log: opts.log, notice: opts.notice });
		url = embedded.url;
	}
	const sql = openPool(url, opts.max);
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
		async ping() {
			let timer: NodeJS.Timeout | undefined;
			const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), 2000)));
			const query = sql`select 1`.then(
				() => true,
				() => false
			);
			const up = await Promise.race([query, timeout]);
			clearTimeout(timer);
			return up;
		},
		async close() {
			await sql.end({ timeout: 5 });
			await embedded?.stop();
		}
	};
}
