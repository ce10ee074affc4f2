/**
 * What every CLI command shares: the app's configuration, a boot that attaches to the app's
 * embedded server (README, "CLI"), and an exit that always stops what this process started.
 */
import { parseConfig, type Config } from '../config';
import { log } from '../log';
import { boot, shutdown, type Services } from '../runtime';

/** The app's configuration; one-shot commands default to quiet logs (stdout is their output). */
export function cliConfig(command: string, env: Record<string, string | undefined> = process.env): Config {
	const config = parseConfig(env);
	if (command === 'worker') return { ...config, cronRole: 'worker' };
	return env.LOG_LEVEL ? config : { ...config, logLevel: 'warn' };
}

let booting: Promise<unknown> | undefined;

/** Boots attached to the app's embedded server, if it runs (else starts and later stops one). */
export function bootCli(config: Config, schedule: boolean): Promise<Services> {
	const rt = boot({ config, mode: 'attach', schedule });
	booting = rt;
	return rt;
}

/** Boots without the scheduler's timers (boot still syncs code definitions). */
export function bootPassive(config: Config): Promise<Services> {
	return bootCli(config, false);
}

let exiting = false;

/** True once an exit is under way: work cut short by the shutdown then fails, quietly. */
export function isExiting(): boolean {
	return exiting;
}

/** Stops the scheduler, the pool and an embedded server this process started, then exits. */
export async function finish(code: number, reason = 'cli done'): Promise<never> {
	exiting = true;
	// A boot still in flight may be starting the embedded server: let it finish to stop it.
	await booting?.catch(() => undefined);
	try {
		await shutdown(reason);
	} catch (err) {
		log.error({ err }, 'shutdown failed');
		process.exit(1);
	}
	process.exit(code);
}

let interruptHandler: ((signal: NodeJS.Signals) => void) | undefined;

/** Replaces what the first signal does (default: stop everything, exit 130 or 143). */
export function onInterrupt(handler: (signal: NodeJS.Signals) => void): void {
	interruptHandler = handler;
}

/**
 * The first SIGINT/SIGTERM stops in order. A second Ctrl-C quits at once; a repeated SIGTERM
 * is ignored (process managers may send it more than once while waiting).
 */
export function installInterrupt(): void {
	let interrupted = false;
	const onSignal = (signal: NodeJS.Signals) => {
		const code = signal === 'SIGINT' ? 130 : 143;
		if (interrupted) {
			if (signal === 'SIGINT') process.exit(code);
			return;
		}
		interrupted = true;
		if (interruptHandler) interruptHandler(signal);
		else void finish(code, signal);
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
}
