/**
 * The ping URLs over HTTP: `GET|POST /ping/{token}`, `/ping/{token}/start`, `/ping/{token}/fail`,
 * `/ping/{token}/{exitCode}`. The token is the only credential. Answers: 200 `OK`; 404 for any
 * unknown token, saying nothing more; 400 naming `exitCode` for a last segment that is none of
 * those; 405 for other methods. A body is kept up to 10 KB (the rest is read and dropped, up to
 * PING_BODY_LIMIT: a ping is never refused for a long log).
 *
 * Served twice, like the heartbeat: the SvelteKit routes (src/routes/ping/…) and, under
 * `npm start`, this fast path in front of the framework (api/fast-path.ts). The fast path also
 * takes POSTs with a form content type (`curl -d`), which SvelteKit's cross-site check refuses
 * when they come without an Origin header, as every curl does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sql } from 'postgres';
import type { PingKind } from '../../names';
import { exitCodeSchema } from '../../schemas/alerts';
import type { RequestEvent } from '@sveltejs/kit';
import { BODY_IDLE_TIMEOUT_MS, errorReply, handle } from '../api/json';
import type { FastPath } from '../api/fast-path';
import { fieldError, ServiceError } from '../errors';
import { SECURITY_HEADERS } from '../security-headers';
import { PING_BODY_MAX, recordPing } from './ping';

/** Past this many bytes a body is refused (413): it is not a log anymore. */
export const PING_BODY_LIMIT = 2 * 1024 * 1024;

export type PingTarget = { token: string; kind: PingKind; exitCode: number | null };

const TOKEN = /^[A-Za-z0-9_-]{1,100}$/;

const unknownToken = () => new ServiceError(404, 'not_found', 'not found');

/** The ping a path asks for, a 400/404 for a malformed one, or null when it is not a ping path. */
export function parsePingPath(pathname: string): PingTarget | ServiceError | null {
	const parts = pathname.split('/');
	if (parts[1] !== 'ping' || parts.length < 3 || parts.length > 4) return null;
	const token = parts[2]!;
	if (!TOKEN.test(token)) return unknownToken();
	const action = parts[3];
	if (action === undefined || action === '') return { token, kind: 'success', exitCode: null };
	if (action === 'start' || action === 'fail') return { token, kind: action, exitCode: null };
	const code = exitCodeSchema.safeParse(action);
	if (!code.success) return fieldError('exitCode', code.error.issues[0]!.message);
	return { token, kind: code.data === 0 ? 'success' : 'fail', exitCode: code.data };
}

export const PING_METHODS = ['GET', 'HEAD', 'POST'];

export type PingRequest = { target: PingTarget; body: Uint8Array; bodyBytes: number; remoteAddr: string | null; userAgent: string | null };

/** Records the ping; throws the 404 for an unknown token. */
export async function handlePing(sql: Sql, p: PingRequest): Promise<void> {
	const done = await recordPing(sql, { ...p.target, body: p.body, bodyBytes: p.bodyBytes, remoteAddr: p.remoteAddr, userAgent: p.userAgent });
	if (!done) throw unknownToken();
}

export const PING_OK = 'OK\n';

/** Reads a web request's body, keeping the first PING_BODY_MAX bytes. */
export async function readPingBody(request: Request): Promise<{ body: Uint8Array; bodyBytes: number }> {
	if (!request.body) return { body: new Uint8Array(0), bodyBytes: 0 };
	const kept: Uint8Array[] = [];
	let size = 0;
	const reader = request.body.getReader();
	for (;;) {
		let timer: NodeJS.Timeout | undefined;
		const chunk = await Promise.race([
			reader.read(),
			new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ServiceError(408, 'request_timeout', 'request body stalled')), BODY_IDLE_TIMEOUT_MS)))
		]).finally(() => clearTimeout(timer));
		if (chunk.done) break;
		if (size < PING_BODY_MAX) kept.push(chunk.value.subarray(0, PING_BODY_MAX - size));
		size += chunk.value.byteLength;
		if (size > PING_BODY_LIMIT) {
			await reader.cancel();
			throw new ServiceError(413, 'payload_too_large', `request body exceeds the limit of ${PING_BODY_LIMIT} bytes`);
		}
	}
	return { body: Buffer.concat(kept), bodyBytes: size };
}

/** The client's address as adapter-node gives it (ADDRESS_HEADER, XFF_DEPTH), for the fast path. */
function clientAddress(req: IncomingMessage): string | null {
	const header = process.env.ADDRESS_HEADER?.toLowerCase();
	const value = header ? req.headers[header] : undefined;
	if (typeof value === 'string' && value) {
		if (header !== 'x-forwarded-for') return value.trim();
		const list = value.split(',').map((s) => s.trim());
		const depth = Number(process.env.XFF_DEPTH ?? 1);
		return list[list.length - depth] ?? null;
	}
	return req.socket.remoteAddress ?? null;
}

function readNodeBody(req: IncomingMessage): Promise<{ body: Uint8Array; bodyBytes: number }> {
	return new Promise((resolve, reject) => {
		const kept: Buffer[] = [];
		let size = 0;
		const idle = setTimeout(() => reject(new ServiceError(408, 'request_timeout', 'request body stalled')), BODY_IDLE_TIMEOUT_MS).unref();
		req.on('data', (chunk: Buffer) => {
			idle.refresh();
			if (size < PING_BODY_MAX) kept.push(chunk.subarray(0, PING_BODY_MAX - size));
			size += chunk.length;
			if (size > PING_BODY_LIMIT) {
				clearTimeout(idle);
				reject(new ServiceError(413, 'payload_too_large', `request body exceeds the limit of ${PING_BODY_LIMIT} bytes`));
				req.destroy();
			}
		});
		req.on('end', () => {
			clearTimeout(idle);
			resolve({ body: Buffer.concat(kept), bodyBytes: size });
		});
		req.on('error', () => {
			clearTimeout(idle);
			reject(new ServiceError(400, 'invalid_body', 'request body could not be read'));
		});
	});
}

function reply(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}, json = false): void {
	if (res.destroyed) return;
	res.writeHead(status, {
		...SECURITY_HEADERS,
		'content-type': json ? 'application/json' : 'text/plain; charset=utf-8',
		'content-length': String(Buffer.byteLength(text)),
		'cache-control': 'no-store',
		...headers
	});
	res.end(text);
}

/** Every request to /ping/…, answered from node:http (scripts/server.js, `npm start`). */
export function pingFastPath(sql: Sql): FastPath {
	return (req, res) => {
		const q = req.url?.indexOf('?') ?? -1;
		const pathname = q === -1 ? (req.url ?? '') : req.url!.slice(0, q);
		if (!pathname.startsWith('/ping/')) return false;
		void (async () => {
			try {
				const method = req.method ?? 'GET';
				if (!PING_METHODS.includes(method)) {
					throw new ServiceError(405, 'method_not_allowed', `${method} is not allowed here; use GET or POST`);
				}
				const target = parsePingPath(pathname);
				if (target === null) throw unknownToken();
				if (target instanceof ServiceError) throw target;
				const { body, bodyBytes } = await readNodeBody(req);
				const ua = req.headers['user-agent'];
				await handlePing(sql, { target, body, bodyBytes, remoteAddr: clientAddress(req), userAgent: typeof ua === 'string' ? ua : null });
				reply(res, 200, method === 'HEAD' ? '' : PING_OK);
			} catch (err) {
				const r = errorReply(err, { method: req.method, path: '/ping' });
				reply(res, r.status, JSON.stringify(r.body), { ...r.headers, ...(r.status === 405 ? { allow: 'GET, HEAD, POST' } : {}) }, true);
				// The rest of a refused body is not read: the connection cannot be reused.
				if (!req.complete) res.on('finish', () => req.destroy());
			}
		})();
		return true;
	};
}

/** The SvelteKit routes' handler (src/routes/ping/…): the same answers as the fast path. */
export function pingEndpoint() {
	return handle(async (event: Pick<RequestEvent, 'request' | 'url' | 'getClientAddress' | 'locals'>) => {
		const target = parsePingPath(event.url.pathname);
		if (target === null) throw unknownToken();
		if (target instanceof ServiceError) throw target;
		const { body, bodyBytes } = await readPingBody(event.request);
		await handlePing(event.locals.services.sql, { target, body, bodyBytes, remoteAddr: event.getClientAddress(), userAgent: event.request.headers.get('user-agent') });
		return new Response(event.request.method === 'HEAD' ? null : PING_OK, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
	});
}
