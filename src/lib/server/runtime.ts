/**
 * The composition root: `boot` builds the process's services once (configuration, database,
 * scheduler, cron service, live updates …) for `hooks.server.ts`, which hands them to every
 * request as `event.locals.services`, or for the CLI, which passes them to its commands.
 * `shutdown` stops them in reverse order on SIGTERM/SIGINT.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from 'postgres';
import { LiveHub } from './admin/live';
import { AlertService } from './alerts/service';
import { ensureFirstAdmin } from './auth/bootstrap';
import { parseConfig, type Config } from './config';
import { sealStoredHttpSecrets } from './cron/http-job';
import { searchIndexed, syncCodeJobs } from './cron/jobs';
import { systemClock } from './cron/clock';
import { DbTime } from './cron/db-time';
import type { Isolation } from './cron/runner';
import { Scheduler } from './cron/scheduler';
import { CronJobService } from './cron/service';
import { connect, type Database } from './db';
import { migrate } from './db/migrate';
import { EgressPolicy } from './egress/policy';
import { InstanceRegistry } from './instances/registry';
import { codeJobs, createJobTypes } from './job-registry';
import { log, setLogLevel } from './log';
import { SecretBox } from './secrets/box';
import { checkKeyFingerprint, loadSecretKey } from './secrets/key';

export type Services = {
	config: Config;
	database: Database;
	/** The pool (`database.sql`): what most reads and writes take. */
	sql: Sql;
	scheduler: Scheduler;
	cron: CronJobService;
	/** The database's clock as this instance estimates it (scheduler and registry share it). */
	time: DbTime;
	/** This process in the instance registry; undefined for one-shot CLI commands. */
	registry: InstanceRegistry | undefined;
	/** SECRET_KEY's box: job secrets, webhook URLs, signed cookies. */
	secrets: SecretBox;
	/** HTTP_JOB_DENY / HTTP_JOB_ALLOW: where http jobs and webhooks may connect. */
	egress: EgressPolicy;
	/** Alerts and monitors; running (evaluator, senders, monitor timers) where the scheduler runs. */
	alerts: AlertService;
	/** Live updates of the admin pages (server-sent events), listening once it has a stream. */
	live: LiveHub;
	startedAt: Date;
};

/** The booted services: kept here only so that `shutdown` can close what `boot` opened. */
let current: Services | undefined;
const stopHooks: Array<() => Promise<void>> = [];

/** Registers work to do on shutdown, before the database closes (last registered runs first). */
export function onStop(hook: () => Promise<void>): void {
	stopHooks.unshift(hook);
}

export type BootOptions = {
	/** Already parsed configuration; otherwise read from the environment. */
	config?: Config;
	/** The CLI attaches to the app's embedded server instead of failing on its lock. */
	mode?: 'own' | 'attach';
	/** Start the scheduler's timers and queue (default: unless CRON_ROLE is `web`). */
	schedule?: boolean;
};

export async function boot(opts: BootOptions = {}): Promise<Services> {
	if (current) return current;
	const started = performance.now();
	const config = opts.config ?? parseConfig(process.env);
	setLogLevel(config.logLevel);
	const key = await loadSecretKey(config);
	const secrets = new SecretBox(key.key);
	const database = await connect({
		databaseUrl: config.databaseUrl,
		dataDir: config.dataDir,
		mode: opts.mode,
		statementTimeoutMs: config.dbStatementTimeoutMs,
		log: (line) => log.debug({ postgres: line }),
		// A CLI command (attach) keeps stdout for its output (`jobs --json | jq`): its notices go to stderr.
		notice: opts.mode === 'attach' ? (line) => console.error(`cronkit: ${line}`) : (line) => log.info(line)
	});
	try {
		const applied = await migrate(database.sql);
		if (applied) log.info({ applied }, 'database migrated');
	} catch (err) {
		await database.close();
		throw new Error(`migration failed: ${(err as Error).message}`);
	}
	try {
		await checkKeyFingerprint(database.sql, secrets, key.source);
		const sealed = await sealStoredHttpSecrets(database.sql, secrets);
		if (sealed) log.info({ jobs: sealed }, 'encrypted the secrets of http jobs stored in plain text');
		if (opts.mode !== 'attach' && !(await searchIndexed(database.sql)))
			log.warn('pg_trgm is not installed: the job list search scans every job (README, "An external PostgreSQL")');
	} catch (err) {
		await database.close();
		throw err;
	}
	const egress = EgressPolicy.fromLists(config.httpJobDeny, config.httpJobAllow);
	const types = createJobTypes({ secrets, egress, commandJobs: config.commandJobs });
	// The web app makes sure someone can sign in; a worker (no login pages) and the CLI (its
	// stdout is command output; it has create-admin) leave that to the web instances.
	if (opts.mode !== 'attach' && config.cronRole !== 'worker') {
		try {
			const admin = await ensureFirstAdmin(database.sql, { email: config.adminEmail, password: config.adminPassword });
			if (admin.created) log.info({ email: admin.email, promoted: admin.promoted }, 'first admin created');
		} catch (err) {
			await database.close();
			throw new Error(`creating the first admin failed: ${(err as Error).message}`);
		}
	}
	const time = new DbTime(systemClock);
	const scheduler = new Scheduler({
		sql: database.sql,
		db: database.db,
		instanceId: config.instanceId,
		defaultTimezone: config.cronTimezone,
		definitions: codeJobs,
		types,
		log: log.child({ component: 'scheduler' }),
		env: process.env,
		time,
		isolation: isolationFor(database.url)
	});
	const cron = new CronJobService({
		sql: database.sql,
		db: database.db,
		defaultTimezone: config.cronTimezone,
		definitions: codeJobs,
		types,
		scheduler,
		env: process.env
	});
	const alerts = new AlertService({
		sql: database.sql,
		log: log.child({ component: 'alerts' }),
		origin: config.origin,
		defaultTimezone: config.cronTimezone,
		secrets,
		egress,
		time
	});
	const schedule = opts.schedule ?? config.cronRole !== 'web';
	// Long-running processes register themselves; one-shot CLI commands do not.
	const registry =
		opts.mode !== 'attach' || schedule
			? new InstanceRegistry({ sql: database.sql, log, time, id: config.instanceId, role: schedule ? config.cronRole : 'web' })
			: undefined;
	const live = new LiveHub(database.sql);
	current = { config, database, sql: database.sql, scheduler, cron, secrets, egress, alerts, time, registry, live, startedAt: new Date() };
	try {
		// A started scheduler syncs code definitions itself; without one (web role, CLI) the
		// job table must still know every code job.
		if (schedule) await scheduler.start();
		else await syncCodeJobs(database.sql, codeJobs);
		await registry?.start();
	} catch (err) {
		await shutdown('scheduler failed to start');
		throw err;
	}
	onStop(async () => {
		await scheduler.close();
		await registry?.stop();
	});
	// Stopped before the scheduler (hooks run last registered first).
	onStop(() => alerts.stop());
	// Where the scheduler runs (CRON_ROLE all or worker, the CLI's worker); not one-shot commands.
	if (schedule) {
		try {
			await alerts.start();
		} catch (err) {
			await shutdown('alerts failed to start');
			throw err;
		}
	}
	// Registered last, so it runs first: open pages must not hold up the HTTP drain.
	onStop(() => live.stop());
	log.info(
		{ role: config.cronRole, instance: config.instanceId, embedded: !!database.embedded, ms: Math.round(performance.now() - started) },
		'cronkit booted'
	);
	return current;
}

/**
 * How isolated code jobs start their child: the worker entry built beside the CLI
 * (`npm run build`), told where the database is. None when it has not been built.
 */
function isolationFor(databaseUrl: string): Isolation | undefined {
	const entry = path.resolve('build/cli/isolated-child.js');
	return existsSync(entry) ? { argv: [process.execPath, entry], env: { CRONKIT_DATABASE_URL: databaseUrl } } : undefined;
}

let stopping: Promise<void> | undefined;

/**
 * Stops everything registered with `onStop` (the scheduler first), then the database (and
 * embedded server), which waits for `drained` as well: HTTP requests still in flight need it.
 */
export function shutdown(reason: string, drained: Promise<void> = Promise.resolve()): Promise<void> {
	stopping ??= (async () => {
		log.info({ reason }, 'shutting down');
		for (const hook of stopHooks) {
			await hook().catch((err: unknown) => log.error({ err }, 'shutdown step failed'));
		}
		await drained;
		await current?.database.close();
		current = undefined;
	})();
	return stopping;
}

/**
 * Prints one line for an error that stops the process (no stack trace for expected faults),
 * stops whatever was started, and exits 1.
 */
export async function fatal(err: unknown): Promise<never> {
	const message = err instanceof Error ? err.message : String(err);
	process.stderr.write(`cronkit: ${message}\n`);
	await shutdown('fatal').catch(() => undefined);
	process.exit(1);
}
