import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { passwordProblem } from './auth/password-policy';
import { DEFAULT_STATEMENT_TIMEOUT_MS } from './db/statement-timeout';
import { DEFAULT_HTTP_JOB_DENY, parseCidrList } from './egress/policy';
import { decodeKey } from './secrets/box';

/** IANA zone check through Intl: the runtime's own zone database is the one croner uses. */
export function isValidTimeZone(zone: string): boolean {
	try {
		new Intl.DateTimeFormat('en-US', { timeZone: zone });
		return true;
	} catch {
		return false;
	}
}

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const port = z.coerce
	.number({ error: 'must be a number' })
	.int('must be a whole number')
	.min(1, 'must be between 1 and 65535')
	.max(65535, 'must be between 1 and 65535');

const statementTimeout = z.coerce
	.number({ error: 'must be a number of milliseconds' })
	.int('must be a whole number of milliseconds')
	.min(100, 'must be between 100 and 3600000 (milliseconds)')
	.max(3_600_000, 'must be between 100 and 3600000 (milliseconds)');

function cidrList(value: string, ctx: z.RefinementCtx): void {
	try {
		parseCidrList(value);
	} catch (err) {
		ctx.addIssue({ code: 'custom', message: `is not a comma-separated list of CIDR ranges: ${(err as Error).message}` });
	}
}

const envSchema = z.object({
	DATABASE_URL: z.preprocess(
		emptyToUndefined,
		z
			.string()
			.refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
			.refine((v) => URL.canParse(v), 'is not a valid URL')
			.optional()
	),
	DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./data')),
	PORT: z.preprocess(emptyToUndefined, port.default(3000)),
	HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
	ORIGIN: z.preprocess(
		emptyToUndefined,
		z.string().refine((v) => URL.canParse(v), 'is not a valid URL').optional()
	),
	ADMIN_EMAIL: z.preprocess(emptyToUndefined, z.email('is not a valid email address').optional()),
	ADMIN_PASSWORD: z.preprocess(
		emptyToUndefined,
		z
			.string()
			.superRefine((value, ctx) => {
				const problem = passwordProblem(value);
				if (problem) ctx.addIssue({ code: 'custom', message: problem.replace(/^Password /, '') });
			})
			.optional()
	),
	CRON_ROLE: z.preprocess(
		emptyToUndefined,
		z.enum(['all', 'web', 'worker'], { error: 'must be one of all, web, worker' }).default('all')
	),
	CRON_SECRET: z.preprocess(
		emptyToUndefined,
		z.string().min(16, 'must be at least 16 characters').optional()
	),
	CRON_TIMEZONE: z.preprocess(
		emptyToUndefined,
		z.string().refine(isValidTimeZone, 'is not a known IANA time zone').default('UTC')
	),
	INSTANCE_ID: optionalString,
	SMTP_URL: z.preprocess(
		emptyToUndefined,
		z
			.string()
			.refine((v) => /^smtps?:\/\//.test(v) && URL.canParse(v), 'must be an smtp:// or smtps:// URL')
			.optional()
	),
	MAIL_FROM: z.preprocess(emptyToUndefined, z.string().default('Cronkit <cronkit@localhost>')),
	SECRET_KEY: z.preprocess(
		emptyToUndefined,
		z
			.string()
			.refine((v) => decodeKey(v) !== null, 'must be 32 random bytes in base64 (openssl rand -base64 32)')
			.optional()
	),
	HTTP_JOB_DENY: z.preprocess(emptyToUndefined, z.string().superRefine(cidrList).default(DEFAULT_HTTP_JOB_DENY)),
	HTTP_JOB_ALLOW: z.preprocess(emptyToUndefined, z.string().superRefine(cidrList).default('')),
	COMMAND_JOBS: z.preprocess(emptyToUndefined, z.enum(['on', 'off'], { error: 'must be on or off' }).default('off')),
	NODE_ENV: optionalString,
	LOG_LEVEL: z.preprocess(
		emptyToUndefined,
		z
			.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
				error: 'must be one of fatal, error, warn, info, debug, trace, silent'
			})
			.default('info')
	),
	DB_STATEMENT_TIMEOUT_MS: z.preprocess(emptyToUndefined, statementTimeout.default(DEFAULT_STATEMENT_TIMEOUT_MS))
});

export type Config = {
	databaseUrl: string | undefined;
	dataDir: string;
	port: number;
	host: string;
	origin: string;
	adminEmail: string | undefined;
	adminPassword: string | undefined;
	cronRole: 'all' | 'web' | 'worker';
	cronSecret: string | undefined;
	cronTimezone: string;
	instanceId: string;
	smtpUrl: string | undefined;
	mailFrom: string;
	logLevel: string;
	/** Client-side limit on one query (src/lib/server/db/statement-timeout.ts). */
	dbStatementTimeoutMs: number;
	/** SECRET_KEY decoded; undefined: generated into DATA_DIR (refused in production with DATABASE_URL). */
	secretKey: Buffer | undefined;
	/** CIDR lists of the egress policy of http jobs. */
	httpJobDeny: string;
	httpJobAllow: string;
	/** COMMAND_JOBS=on: admins may create jobs that run programs on this server. */
	commandJobs: boolean;
	/** NODE_ENV=production: SECRET_KEY is required with DATABASE_URL. */
	production: boolean;
};

/** Thrown for invalid configuration; `message` is the one line shown to the operator. */
export class ConfigError extends Error {
	override name = 'ConfigError';
}

/** Reads and validates the environment once. The first problem found names its variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
	const parsed = envSchema.safeParse(env);
	if (!parsed.success) {
		const issue = parsed.error.issues[0]!;
		const name = String(issue.path[0] ?? 'environment');
		// Values of secrets and URLs (which may carry passwords) are never echoed.
		const shown = /PASSWORD|SECRET|URL|KEY/.test(name) ? '' : ` (got ${JSON.stringify(env[name] ?? '')})`;
		throw new ConfigError(`Invalid configuration: ${name} ${issue.message}${shown}`);
	}
	const e = parsed.data;
	return {
		databaseUrl: e.DATABASE_URL,
		dataDir: resolve(e.DATA_DIR),
		port: e.PORT,
		host: e.HOST,
		origin: e.ORIGIN ?? `http://localhost:${e.PORT}`,
		adminEmail: e.ADMIN_EMAIL,
		adminPassword: e.ADMIN_PASSWORD,
		cronRole: e.CRON_ROLE,
		cronSecret: e.CRON_SECRET,
		cronTimezone: e.CRON_TIMEZONE,
		instanceId: e.INSTANCE_ID ?? `${hostname()}-${process.pid}`,
		smtpUrl: e.SMTP_URL,
		mailFrom: e.MAIL_FROM,
		logLevel: e.LOG_LEVEL,
		dbStatementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
		secretKey: e.SECRET_KEY === undefined ? undefined : decodeKey(e.SECRET_KEY)!,
		httpJobDeny: e.HTTP_JOB_DENY,
		httpJobAllow: e.HTTP_JOB_ALLOW,
		commandJobs: e.COMMAND_JOBS === 'on',
		production: e.NODE_ENV === 'production'
	};
}
