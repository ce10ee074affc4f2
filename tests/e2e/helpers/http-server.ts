/**
 * A tiny HTTP server on 127.0.0.1 for http jobs to call during a test: fixed status and body,
 * optionally slow, counting requests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type TestServer = { url: string; hits: () => number; close: () => Promise<void> };

export async function startServer(opts: { status?: number; body?: string; contentType?: string; delayMs?: number } = {}): Promise<TestServer> {
	let hits = 0;
	const server = http.createServer((req, res) => {
		hits++;
		req.resume();
		setTimeout(() => {
			res.writeHead(opts.status ?? 200, { 'content-type': opts.contentType ?? 'text/plain; charset=utf-8' });
			res.end(opts.body ?? 'ok');
		}, opts.delayMs ?? 0);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/`,
		hits: () => hits,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}
