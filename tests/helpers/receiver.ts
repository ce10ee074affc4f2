/**
 * A webhook receiver on loopback for alert tests: records every request (path, headers, JSON
 * body, when it arrived), answers with `status`, and can go down (its port closed: senders get
 * ECONNREFUSED) and come back up on the same port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Hit = { path: string; headers: http.IncomingHttpHeaders; body: Record<string, unknown>; at: number };

export type Receiver = {
	url: string;
	port: number;
	hits: Hit[];
	/** Answer status from now on. */
	status: number;
	down(): Promise<void>;
	up(): Promise<void>;
	close(): Promise<void>;
};

export async function startReceiver(opts: { port?: number; status?: number } = {}): Promise<Receiver> {
	const hits: Hit[] = [];
	const state = { status: opts.status ?? 200 };
	const make = () =>
		http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let body: Record<string, unknown>;
				try {
					body = JSON.parse(text) as Record<string, unknown>;
				} catch {
					body = { raw: text };
				}
				hits.push({ path: req.url ?? '', headers: req.headers, body, at: Date.now() });
				res.writeHead(state.status, { 'content-type': 'text/plain' }).end(state.status < 300 ? 'ok' : 'unavailable');
			});
		});
	let server = make();
	const listen = (port: number) => new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => resolve());
	});
	await listen(opts.port ?? 0);
	const port = (server.address() as AddressInfo).port;
	const close = () =>
		new Promise<void>((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		});
	return {
		url: `http://127.0.0.1:${port}/hook`,
		port,
		hits,
		get status() {
			return state.status;
		},
		set status(s: number) {
			state.status = s;
		},
		down: close,
		async up() {
			server = make();
			await listen(port);
		},
		close
	};
}
