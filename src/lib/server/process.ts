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
 * On SIGTERM/SIGINT: stop the scheduler while the HTTP server drains (scripts/server.js and
 * adapter-node emit `sveltekit:shutdown` when the requests in flight are answered), close the
 * database after both, then exit 0. Without them (dev), there is no drain to wait for.
 */
export function installShutdown(opts: { waitForHttpDrain: boolean }): void {
	// The server closes what is still open after SHUTDOWN_TIMEOUT (30 s) and then signals; the
	// cap only guards against a server that never does.
	const drainCapMs = ((Number(process.env.SHUTDOWN_TIMEOUT) || 30) + 5) * 1000;
	let started = false;
	const onSignal = (signal: NodeJS.Signals) => {
		if (started) return;
		started = true;
		const drained = opts.waitForHttpDrain
			? new Promise<void>((resolve) => {
					process.once('sveltekit:shutdown' as 'exit', () => resolve());
					setTimeout(resolve, drainCapMs).unref();
				})
			: Promise.resolve();
		shutdown(signal, drained)
			.then(() => process.exit(0))
			.catch((err: unknown) => {
				log.error({ err }, 'shutdown failed');
				process.exit(1);
			});
	};
	process.on('SIGTERM', onSignal);
	process.on('SIGINT', onSignal);
}
