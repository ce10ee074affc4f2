/**
 * The CLI (README, "CLI"): `npx cronkit <command>` or `npm run cron -- <command>`, run from the built output
 * (build/cli/main.js). Commands get the services `boot` built (runtime.ts) as their first argument.
 * Exit codes: 0 done, 1 failed (one line on stderr), 2 usage error.
 */
import { setLogLevel } from '../log';
import { fatal } from '../runtime';
import { accessKeyCommand, ACCESS_KEY_COMMAND } from './access-key';
import { parseArgs, type CommandSpec } from './args';
import { createAdminCommand } from './create-admin';
import { out } from './format';
import { jobsCommand } from './jobs';
import { migrateCommand } from './migrate';
import { runCommand, triggerCommand } from './run';
import { bootPassive, cliConfig, finish, installInterrupt, isExiting } from './session';
import { workerCommand } from './worker';

export const USAGE = `Usage: npx cronkit <command> [options]   (or: npm run -s cron -- <command> [options])

Commands:
  worker                   run the scheduler only; serve /healthz and /metrics on HOST:PORT
  jobs [--json]            list jobs: schedule, zone, state, last run, next run
  run <key>                run a job once in this process and print its output
                           (exit 0 when it succeeds, 1 otherwise)
  trigger <key> [--json]   queue a run of a job for the workers and print its id
  migrate                  apply pending database migrations
  access-key create [--label L] [--email E] [--json]
                           create an access key and print it once (emailed through the
                           outbox with --email)
  create-admin <email>     create an admin (or promote and reset an existing user); the
                           password is ADMIN_PASSWORD, or generated and printed once

Options:
  -h, --help               show this help

The CLI reads the same environment as the app (DATABASE_URL, DATA_DIR, CRON_TIMEZONE, ...).
Without DATABASE_URL it uses the embedded PostgreSQL of the app running on DATA_DIR, or
starts it for the duration of the command.`;

const COMMANDS: Record<string, CommandSpec> = {
	worker: { positionals: [], flags: {} },
	jobs: { positionals: [], flags: { json: false } },
	run: { positionals: ['<key>'], flags: {} },
	trigger: { positionals: ['<key>'], flags: { json: false } },
	migrate: { positionals: [], flags: {} },
	'access-key': ACCESS_KEY_COMMAND,
	'create-admin': { positionals: ['<email>'], flags: {} }
};

async function main(argv: string[]): Promise<void> {
	const parsed = parseArgs(argv, COMMANDS);
	if (parsed.kind === 'help') {
		await out(USAGE);
		process.exit(0);
	}
	if (parsed.kind === 'error') {
		const more = parsed.showUsage ? `\n\n${USAGE}` : ' (see --help)';
		await out(`cronkit: ${parsed.message}${more}`, process.stderr);
		process.exit(2);
	}
	const { command, positionals, flags } = parsed;
	const config = cliConfig(command);
	setLogLevel(config.logLevel);
	installInterrupt();
	const json = flags.json === true;
	switch (command) {
		case 'worker':
			return workerCommand(config);
		case 'migrate':
			return finish(await migrateCommand(config));
		case 'jobs':
			return finish(await jobsCommand((await bootPassive(config)).cron, { json }));
		case 'run':
			return finish(await runCommand(await bootPassive(config), positionals[0]!));
		case 'trigger':
			return finish(await triggerCommand(await bootPassive(config), positionals[0]!, { json }));
		case 'create-admin':
			return finish(await createAdminCommand((await bootPassive(config)).sql, positionals[0]!));
		case 'access-key':
			return finish(await accessKeyCommand((await bootPassive(config)).sql, positionals[0]!, flags));
		default:
			throw new Error(`command "${command}" has no handler`);
	}
}

/** Whatever goes wrong ends as one line, after stopping what this process started. */
function failed(err: unknown): void {
	if (!isExiting()) void fatal(err);
}

process.on('uncaughtException', failed);
process.on('unhandledRejection', failed);
main(process.argv.slice(2)).catch(failed);
