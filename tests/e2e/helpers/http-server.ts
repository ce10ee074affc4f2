/**
 * A tiny HTTP server on loopback for http jobs to call during a test: fixed status and body (or
 * a redirect), optionally slow, recording each request's path and headers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Received = { url: string; headers: http.IncomingHttpHeaders };

export type TestServer = { url: string; port: number; hits: () => number; received: Received[]; close: () => Promise<void> };

export type ServerOptions = {
	status?: number;
	body?: string;
	contentType?: string;
	delayMs?: number;
	/** Where to listen (default 127.0.0.1; any 127.x.y.z is loopback on Linux). */
	host?: string;
	/** Answer every request with a 302 to this location. */
	redirectTo?: () => string;
};

export async function startServer(opts: ServerOptions = {}): Promise<TestServer> {
	const received: Received[] = [];
	const server = http.createServer((req, res) => {
		received.push({ url: req.url ?? '', headers: req.headers });
		req.resume();
		setTimeout(() => {
			if (opts.redirectTo) {
				res.writeHead(302, { location: opts.redirectTo() }).end();
				return;
			}
			res.writeHead(opts.status ?? 200, { 'content-type': opts.contentType ?? 'text/plain; charset=utf-8' });
			res.end(opts.body ?? 'ok');
		}, opts.delayMs ?? 0);
	});
	const host = opts.host ?? '127.0.0.1';
	await new Promise<void>((resolve) => server.listen(0, host, resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://${host}:${port}/`,
		port,
		hits: () => received.length,
		received,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}
