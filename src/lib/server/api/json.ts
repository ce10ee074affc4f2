/**
 * JSON in and out for the REST API (README, "REST API"): bodies capped at 1 MB, malformed input as a 400,
 * every error in the `{"error": {code, message, issues}}` shape, never a stack trace.
 */
import { isHttpError, json, type RequestEvent } from '@sveltejs/kit';
import { unavailableCode } from '../db/faults';
import { ServiceError } from '../errors';
import { findBadText } from '../input/text';
import { log } from '../log';
import { databaseUnavailable, noteUnavailable, RETRY_AFTER_SECONDS } from '../unavailable';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * How much more of an oversized body is read and thrown away so the client, still uploading,
 * receives the 413: closing a socket with unread data makes TCP reset it, losing the response.
 * Past this, the connection is dropped.
 */
export const DRAIN_BYTES = 8 * MAX_BODY_BYTES;

export const tooLarge = (limit = MAX_BODY_BYTES) =>
	new ServiceError(413, 'payload_too_large', `request body exceeds the limit of ${limit} bytes`);

/**
 * A body that stops arriving (shorter than its Content-Length, a stalled upload) is answered
 * with a 408 once nothing came for this long, instead of holding the request open for ever.
 */
export const BODY_IDLE_TIMEOUT_MS = 5_000;

export const bodyStalled = () =>
	new ServiceError(408, 'request_timeout', `request body stalled: nothing arrived for ${BODY_IDLE_TIMEOUT_MS / 1000} s`);

/** `reader.read()`, or a 408 when nothing arrives within `idleMs`. */
async function readWithin<T>(reader: ReadableStreamDefaultReader<T>, idleMs: number): Promise<ReadableStreamReadResult<T>> {
	let timer: NodeJS.Timeout | undefined;
	const stalled = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(bodyStalled()), idleMs);
	});
	try {
		return await Promise.race([reader.read(), stalled]);
	} finally {
		clearTimeout(timer);
	}
}

const invalidJson = (why: string) => new ServiceError(400, 'invalid_json', `request body is not valid JSON: ${why}`);

/** adapter-node's own BODY_SIZE_LIMIT surfaces as a stream error carrying status 413. */
const statusOf = (err: unknown) =>
	typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : undefined;

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
	let size = 0;
	try {
		for (;;) {
			const { done, value } = await readWithin(reader, BODY_IDLE_TIMEOUT_MS);
			if (done) return;
			size += value.byteLength;
			if (size > DRAIN_BYTES) {
				await reader.cancel();
				return;
			}
		}
	} catch {
		// the stream failed (e.g. adapter-node's own limit) or stalled: nothing more to drain
	}
}

/**
 * The raw body, refused with a 413 by its declared length or, failing that, as it streams, and
 * with a 408 when it stalls.
 */
export async function readBody(request: Request, limit = MAX_BODY_BYTES, idleMs = BODY_IDLE_TIMEOUT_MS): Promise<Uint8Array> {
	if (!request.body) return new Uint8Array(0);
	const reader = request.body.getReader();
	const declared = Number(request.headers.get('content-length') ?? NaN);
	if (declared > limit) {
		await drain(reader);
		throw tooLarge(limit);
	}
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		let chunk: ReadableStreamReadResult<Uint8Array>;
		try {
			chunk = await readWithin(reader, idleMs);
		} catch (err) {
			if (err instanceof ServiceError) throw err;
			if (statusOf(err) === 413) throw tooLarge(limit);
			throw new ServiceError(400, 'invalid_body', 'request body could not be read');
		}
		if (chunk.done) break;
		size += chunk.value.byteLength;
		if (size > limit) {
			await drain(reader);
			throw tooLarge(limit);
		}
		chunks.push(chunk.value);
	}
	return Buffer.concat(chunks);
}

/** Strict: a body that is not UTF-8 is refused rather than decoded with replacement characters. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a JSON document; any parse or encoding failure is a 400 `invalid_json`, and a string
 * (or field name) with NUL or an unpaired surrogate a 400 `invalid_input` naming its field.
 */
export function parseJson(bytes: Uint8Array): unknown {
	let text: string;
	try {
		text = utf8.decode(bytes);
	} catch {
		throw invalidJson('it is not UTF-8 text');
	}
	if (!text.trim()) throw invalidJson('the body is empty');
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (err) {
		throw invalidJson((err as Error).message);
	}
	const bad = findBadText(value);
	if (bad) throw new ServiceError(400, 'invalid_input', `${bad.path}: ${bad.message}`, [bad]);
	return value;
}

/** A JSON object body (every endpoint takes one); its fields are validated by the service. */
export async function readJson(request: Request, limit = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
	// SvelteKit drops the body of a request without a content-type: say so, not "empty".
	if (!request.body && !request.headers.get('content-type') && Number(request.headers.get('content-length')) > 0) {
		throw invalidJson('send it with content-type: application/json');
	}
	return jsonObject(parseJson(await readBody(request, limit)));
}

/** A parsed body that must be a JSON object. */
export function jsonObject(value: unknown): Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
		throw new ServiceError(400, 'invalid_input', `(body): must be a JSON object, got ${got}`, [
			{ path: '(body)', message: 'must be a JSON object' }
		]);
	}
	return value as Record<string, unknown>;
}

/** A 401 names its scheme; after a 408 the connection, whose request never completed, is closed. */
function errorHeaders(status: number): Record<string, string> {
	if (status === 401) return { 'www-authenticate': 'Bearer realm="cronkit"' };
	if (status === 408) return { connection: 'close' };
	return {};
}

export type ErrorReply = { status: number; body: ReturnType<ServiceError['toJSON']>; headers: Record<string, string> };

/** Any thrown value as the status, body and headers of an API error; unexpected ones are logged and answered generically. */
export function errorReply(err: unknown, where: { method?: string; path?: string } = {}): ErrorReply {
	if (err instanceof ServiceError) {
		return { status: err.status, body: err.toJSON(), headers: errorHeaders(err.status) };
	}
	if (isHttpError(err) && err.status < 500) {
		return { status: err.status, body: new ServiceError(err.status, 'error', err.body.message).toJSON(), headers: {} };
	}
	const code = unavailableCode(err);
	if (code) {
		noteUnavailable(code, where);
		return { status: 503, body: databaseUnavailable().toJSON(), headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } };
	}
	log.error({ err, ...where }, 'api request failed');
	return { status: 500, body: new ServiceError(500, 'internal', 'internal server error').toJSON(), headers: {} };
}

/** Any thrown value as an API error response. */
export function apiError(err: unknown, event?: Pick<RequestEvent, 'request' | 'url'>): Response {
	const reply = errorReply(err, event ? { method: event.request.method, path: event.url.pathname } : {});
	return json(reply.body, { status: reply.status, headers: reply.headers });
}

/** Wraps a handler: errors become API errors, and no API response is ever cached. */
export function handle<E extends Pick<RequestEvent, 'request' | 'url'>>(
	fn: (event: E) => Promise<Response>
): (event: E) => Promise<Response> {
	return async (event) => {
		let response: Response;
		try {
			response = await fn(event);
		} catch (err) {
			response = apiError(err, event);
		}
		response.headers.set('cache-control', 'no-store');
		return response;
	};
}
