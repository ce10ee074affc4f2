/** Free ports, and servers run as child processes (the built app, the CLI's worker) for tests. */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address() as net.AddressInfo;
			srv.close(() => resolve(port));
		});
	});
}

export type SpawnedServer<C extends ChildProcess = ChildProcess> = {
	child: C;
	/** `http://127.0.0.1:<port>` */
	url: string;
	/** The first 200 answer of /healthz, its body unread. */
	healthz: Response;
};

/**
 * Spawns a server with `spawnOn(port)` on a free port of 127.0.0.1 and waits until its
 * /healthz answers 200. If it exits first or is not ready within `timeoutMs`, it is killed
 * and this throws.
 */
export async function spawnServer<C extends ChildProcess>(spawnOn: (port: number) => C, timeoutMs = 60_000): Promise<SpawnedServer<C>> {
	const port = await freePort();
	const child = spawnOn(port);
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + timeoutMs;
	try {
		for (;;) {
			if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited (${child.exitCode ?? child.signalCode}) before /healthz answered`);
			const res = await fetch(`${url}/healthz`).catch(() => undefined);
			if (res?.status === 200) return { child, url, healthz: res };
			await res?.body?.cancel();
			if (Date.now() > deadline) throw new Error(`${url}/healthz did not answer 200 within ${timeoutMs} ms`);
			await new Promise((r) => setTimeout(r, 100));
		}
	} catch (err) {
		child.kill('SIGKILL');
		throw err;
	}
}
