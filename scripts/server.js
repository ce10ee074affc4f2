// The production HTTP server (`npm start` imports it after building): adapter-node's handler
// behind node:http, with the app's fast path tried first (src/lib/server/api/fast-path.ts: device
// heartbeats and monitor pings skip the framework). It mirrors adapter-node's own build/index.js for what Cronkit
// documents: HOST, PORT, SOCKET_PATH, KEEP_ALIVE_TIMEOUT, HEADERS_TIMEOUT, SHUTDOWN_TIMEOUT, and a
// graceful drain that ends with `sveltekit:shutdown`, after which the app closes its database.
// (systemd socket activation remains with `node build/index.js`, without the fast path.)
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A timeout in whole seconds from the environment, like adapter-node's.
 * @param {string} name
 */
function seconds(name) {
	const raw = process.env[name];
	if (raw === undefined || raw === '') return undefined;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 0) {
		console.error(`cronkit: ${name} must be a whole number of seconds, got "${raw}"`);
		process.exit(1);
	}
	return value;
}

// Read before booting, so a bad value stops the process before it starts anything.
const socketPath = process.env.SOCKET_PATH || undefined;
const host = process.env.HOST || '0.0.0.0';
const port = socketPath ? undefined : Number(process.env.PORT || 3000);
const shutdownTimeout = seconds('SHUTDOWN_TIMEOUT') ?? 30;
const keepAliveTimeout = seconds('KEEP_ALIVE_TIMEOUT');
const headersTimeout = seconds('HEADERS_TIMEOUT');

// Importing the handler boots the app (its `init` hook), which publishes the fast path.
const { handler } = await import(pathToFileURL(path.resolve('build/handler.js')).href);
const FAST_PATH = Symbol.for('cronkit.fastPath');
/** @typedef {(req: http.IncomingMessage, res: http.ServerResponse) => boolean} FastPath */
const published = /** @type {Record<symbol, FastPath | undefined>} */ (/** @type {unknown} */ (globalThis));
// The app's baseline security headers (src/lib/server/security-headers.ts), set on every response
// before anyone answers: static files (which never reach the app's hooks) get them too, and a
// response's own headers (a page's full CSP) take precedence.
const securityHeaders = Object.entries(
	/** @type {Record<string, string>} */ (/** @type {Record<symbol, unknown>} */ (/** @type {unknown} */ (globalThis))[Symbol.for('cronkit.securityHeaders')] ?? {})
);

let draining = false;

const server = http.createServer((req, res) => {
	// While draining, a keep-alive connection closes as soon as its last answer is out.
	req.on('close', () => draining && server.closeIdleConnections());
	for (const [name, value] of securityHeaders) res.setHeader(name, value);
	if (published[FAST_PATH]?.(req, res)) return;
	handler(req, res, () => {
		res.statusCode = 404;
		res.end('Not found');
	});
});
if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout * 1000;
if (headersTimeout !== undefined) server.headersTimeout = headersTimeout * 1000;

if (socketPath && fs.existsSync(socketPath) && fs.statSync(socketPath).size === 0) fs.rmSync(socketPath);
server.listen(socketPath ? { path: socketPath } : { host, port }, () => {
	console.log(`Listening on ${socketPath ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`}`);
});

/**
 * Stop taking requests, let those in flight finish (for at most SHUTDOWN_TIMEOUT), then hand
 * over to the app.
 * @param {NodeJS.Signals} signal
 */
function drain(signal) {
	if (draining) return;
	draining = true;
	server.closeIdleConnections();
	const force = setTimeout(() => server.closeAllConnections(), shutdownTimeout * 1000);
	server.close(() => {
		clearTimeout(force);
		/** @type {(event: string, reason: string) => boolean} */ (process.emit)('sveltekit:shutdown', signal);
	});
}
process.on('SIGTERM', drain);
process.on('SIGINT', drain);
