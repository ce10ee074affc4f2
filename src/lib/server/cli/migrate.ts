/** `migrate`: applies pending migrations and says how many (boot would only log it). */
import type { Config } from '../config';
import { connect } from '../db';
import { migrate } from '../db/migrate';
import { log } from '../log';
import { onStop, shutdown } from '../runtime';
import { out } from './format';

export async function migrateCommand(config: Config): Promise<number> {
	const database = await connect({
		databaseUrl: config.databaseUrl,
		dataDir: config.dataDir,
		mode: 'attach',
		max: 2,
		statementTimeoutMs: config.dbStatementTimeoutMs,
		log: (line) => log.debug({ postgres: line }),
		notice: (line) => log.info(line)
	});
	// Closed by shutdown() on every exit path (done, fatal, Ctrl-C), like a booted runtime.
	onStop(() => database.close());
	const applied = await migrate(database.sql).catch((err: unknown) => {
		throw new Error(`migration failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
	});
	await shutdown('migrated');
	await out(applied ? `applied ${applied} migration${applied === 1 ? '' : 's'}; the database is up to date` : 'no pending migrations; the database is up to date');
	return 0;
}
