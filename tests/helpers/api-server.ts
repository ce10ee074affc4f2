/**
 * SvelteKit `+server.ts` handlers behind a real node:http server, for integration tests over
 * real HTTP without a build. Each request becomes a web `Request` and a minimal RequestEvent;
 * the client address is the socket's, or `x-test-client-ip` (so tests can be different clients).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestEvent } from '@sveltejs/kit';
import type { Services } from '../../src/lib/server/runtime';

type Handler = (event: RequestEvent) => Response | Promise<Response>;
export type RouteModule = Partial<Record<'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'fallback', Handler>>;

/** `/api/access-keys/[id]` style patterns, matched segment by segment. */
function match(pattern: string, pathname: string): Record<string, string> | null {
	const p = pattern.split('/');
	const s = pathname.split('/');
	if (p.length !== s.length) return null;
	const params: Record<string, string> = {};
	for (let i = 0; i < p.length; i++) {
		const m = /^\[(\w+)\]$/.exec(p[i]!);
		if (m) params[m[1]!] = decodeURIComponent(s[i]!);
		else if (p[i] !== s[i]) return null;
	}
	return params;
}

async function body(req: http.IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const c of req) chunks.push(c as Buffer);
	return Buffer.concat(chunks);
}

export type ApiServer = { url: string; close(): Promise<void> };

/**
 * The routes get `services` as `locals.services`, as the app's hook hands them over. `front`
 * sees each request first, as scripts/server.js's fast path does; false passes it on.
 */
export async function startApiServer(
	routes: Record<string, RouteModule>,
	services: Services,
	front?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean
): Promise<ApiServer> {
	const server = http.createServer(async (req, res) => {
		if (front?.(req, res)) return;
		try {
			const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
			const found = Object.entries(routes)
				.map(([pattern, mod]) => ({ mod, params: match(pattern, url.pathname) }))
				.find((r) => r.params);
			if (!found) {
				res.writeHead(404).end();
				return;
			}
			const method = (req.method ?? 'GET').toUpperCase();
			const handler = found.mod[method as keyof RouteModule] ?? found.mod.fallback;
			if (!handler) {
				res.writeHead(405).end();
				return;
			}
			const headers = new Headers();
			for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
			const bytes = await body(req);
			const request = new Request(url, { method, headers, body: method === 'GET' || method === 'HEAD' || !bytes.length ? undefined : new Uint8Array(bytes) });
			const ip = req.headers['x-test-client-ip'];
			const event = {
				request,
				url,
				params: found.params,
				locals: { user: null, sessionId: null, services },
				cookies: { get: () => undefined, getAll: () => [], set: () => {}, delete: () => {}, serialize: () => '' },
				getClientAddress: () => (typeof ip === 'string' ? ip : (req.socket.remoteAddress ?? '')),
				route: { id: null },
				platform: undefined,
				isDataRequest: false,
				isSubRequest: false,
				setHeaders: () => {},
				fetch
			} as unknown as RequestEvent;
			const response = await handler(event);
			res.writeHead(response.status, Object.fromEntries(response.headers));
			res.end(Buffer.from(await response.arrayBuffer()));
		} catch (err) {
			// A handler that throws is a bug the tests must see as a 500.
			res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
		}
	});
	server.keepAliveTimeout = 5_000;
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}
