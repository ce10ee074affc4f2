/**
 * Process-level wiring for the web server: one-line fatal errors, a port check before
 * adapter-node listens, and an ordered shutdown on SIGTERM/SIGINT.
 */
import net from 'node:net';
import { log } from './log';
import { shutdown } from './runtime';

/** adapter-node would crash with a stack trace on a taken port: check first and say so. */
export async function assertPortFree(host: string, port: number): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		const probe = net.createServer();
		probe.once('error', (err: NodeJS.ErrnoException) =>
			reject(
				new Error(
					err.code === 'EADDRINUSE'
						? `port ${port} on ${host} is already in use; set PORT to a free port`
						: `cannot listen on ${host}:${port} (${err.code ?? err.message})`
				)
			)
		);
		probe.listen(port, host, () => probe.close(() => resolve()));
	});
}

/**
 * On SIGTERM/SIGINT: let adapter-node drain HTTP (it emits `sveltekit:shutdown` when done),
 * stop the scheduler and the database in order, then exit 0. Without adapter-node (dev),
 * there is no drain to wait for.
 */
export function installShutdown(opts: { waitForHttpDrain: boolean; drainCapMs?: number }): void {
	let started = false;
	const onSignal = (signal: NodeJS.Signals) => {
		if (started) return;
		started = true;
		const drained = opts.waitForHttpDrain
			? new Promise<void>((resolve) => {
					process.once('sveltekit:shutdown' as 'exit', () => resolve());
					setTimeout(resolve, opts.drainCapMs ?? 10_000).unref();
				})
			: Promise.resolve();
		const stop = shutdown(signal);
		Promise.all([drained, stop])
			.then(() => process.exit(0))
			.catch((err: unknown) => {
				log.error({ err }, 'shutdown failed');
				process.exit(1);
			});
	};
	process.on('SIGTERM', onSignal);
	process.on('SIGINT', onSignal);
}
