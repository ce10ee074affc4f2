/**
 * The heartbeat fast path: `POST /api/session/heartbeat` answered straight from node:http by
 * scripts/server.js (`npm start`), in front of SvelteKit. A heartbeat is one UPDATE, but through
 * the framework's web Request/Response, streams and hooks it costs 400-450 µs of server CPU
 * against 115-135 µs here (bench/heartbeat.ts), so a fleet of devices would be bound by the
 * framework, not the database.
 *
 * It runs the same service call and answers with the same statuses, error shape and headers as
 * the route (src/routes/api/session/heartbeat), which still serves `node build/index.js` and
 * `vite dev`; src/lib/server/devices/devices.int.test.ts sends both the same requests. Anything out of
 * the ordinary (another method or content type, a cookie to resolve) is left to SvelteKit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sql } from 'postgres';
import { heartbeatSession } from '../devices/sessions';
import { ServiceError } from '../errors';
import { SECURITY_HEADERS } from '../security-headers';
import { BODY_IDLE_TIMEOUT_MS, bodyStalled, DRAIN_BYTES, errorReply, jsonObject, MAX_BODY_BYTES, parseJson, tooLarge } from './json';

/** Answers the request and returns true, or returns false and leaves it untouched. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const HEARTBEAT_PATH = '/api/session/heartbeat';

/** Where scripts/server.js finds the fast path: it loads the app's bundle, not this module. */
const FAST_PATH = Symbol.for('cronkit.fastPath');

export function publishFastPath(fastPath: FastPath | undefined): void {
	(globalThis as Record<symbol, unknown>)[FAST_PATH] = fastPath;
}

const isJson = (contentType: string | undefined) => contentType !== undefined && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';

const pathOf = (url: string | undefined) => {
	const q = url?.indexOf('?') ?? -1;
	return q === -1 ? url : url!.slice(0, q);
};

export function heartbeatFastPath(sql: Sql): FastPath {
	return (req, res) => {
		if (req.method !== 'POST' || pathOf(req.url) !== HEARTBEAT_PATH || !isJson(req.headers['content-type']) || req.headers.cookie !== undefined) {
			return false;
		}
		void answer(req, res, () => readBody(req).then((bytes) => heartbeatSession(sql, jsonObject(parseJson(bytes)))));
		return true;
	};
}

const OK_BODY = JSON.stringify({ ok: true });

async function answer(req: IncomingMessage, res: ServerResponse, run: () => Promise<void>): Promise<void> {
	let status = 200;
	let text = OK_BODY;
	let extra: Record<string, string> = {};
	try {
		await run();
	} catch (err) {
		const reply = errorReply(err, { method: req.method, path: HEARTBEAT_PATH });
		status = reply.status;
		text = JSON.stringify(reply.body);
		extra = reply.headers;
	}
	if (res.destroyed) return;
	res.writeHead(status, {
		...SECURITY_HEADERS,
		'content-type': 'application/json',
		'content-length': Buffer.byteLength(text),
		'cache-control': 'no-store',
		...extra
	});
	res.end(text);
}

const unreadable = () => new ServiceError(400, 'invalid_body', 'request body could not be read');

/**
 * The body, capped like the API's `readBody`: an oversized one is read on and thrown away up
 * to DRAIN_BYTES so the client still receives its 413, and the connection is dropped past that;
 * one that stops arriving (shorter than its Content-Length) is a 408 after BODY_IDLE_TIMEOUT_MS.
 */
function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		let over = Number(req.headers['content-length'] ?? NaN) > limit;
		let size = 0;
		const chunks: Buffer[] = [];
		const idle = setTimeout(() => reject(bodyStalled()), BODY_IDLE_TIMEOUT_MS).unref();
		const settle = () => clearTimeout(idle);
		req.on('data', (chunk: Buffer) => {
			idle.refresh();
			size += chunk.length;
			if (size > limit) over = true;
			if (!over) chunks.push(chunk);
			else if (size > DRAIN_BYTES) req.destroy();
		});
		req.on('end', () => {
			settle();
			if (over) reject(tooLarge(limit));
			else resolve(Buffer.concat(chunks, size));
		});
		// After 'end' (or a stall) this settles nothing; before it, the client went away mid-body.
		req.on('close', () => {
			settle();
			reject(over ? tooLarge(limit) : unreadable());
		});
		req.on('error', () => {
			settle();
			reject(unreadable());
		});
	});
}
