/**
 * `worker`: the scheduler without the web app (CRON_ROLE=worker). It serves only `/healthz`
 * and `/metrics` on PORT/HOST, and stops in order on SIGTERM/SIGINT (README, "Several instances").
 */
import http from 'node:http';
import { registerDatabaseGauges } from '../api/metrics';
import type { Config } from '../config';
import { health } from '../health';
import { log } from '../log';
import { metricsText } from '../metrics';
import { assertPortFree } from '../process';
import { WORKER_PATHS, workerNotFoundBody } from '../roles';
import { onStop, type Services } from '../runtime';
import { bootCli, finish, onInterrupt } from './session';

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string>): void {
	res.writeHead(status, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
	res.end(body);
}

const JSON_TYPE = { 'content-type': 'application/json' };

const errorBody = (code: string, message: string) => JSON.stringify({ error: { code, message, issues: [] } });

async function respond(services: Services, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const { pathname } = new URL(req.url ?? '/', 'http://worker');
	if (!WORKER_PATHS.has(pathname)) return send(res, 404, workerNotFoundBody(pathname), JSON_TYPE);
	if (req.method !== 'GET' && req.method !== 'HEAD') {
		return send(res, 405, errorBody('method_not_allowed', `${req.method} is not allowed on ${pathname}`), { ...JSON_TYPE, allow: 'GET, HEAD' });
	}
	if (pathname === '/healthz') {
		const report = await health(services);
		return send(res, report.db === 'up' ? 200 : 503, JSON.stringify(report), JSON_TYPE);
	}
	registerDatabaseGauges(services.sql); // the same gauges as the app's /metrics (queue depth, leases)
	const metrics = await metricsText();
	send(res, 200, metrics.body, { 'content-type': metrics.contentType });
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
}

/** Stops accepting; requests in flight get a moment, then their connections are cut. */
function close(server: http.Server): Promise<void> {
	return new Promise((resolve) => {
		const cut = setTimeout(() => server.closeAllConnections(), 5_000);
		server.close(() => {
			clearTimeout(cut);
			resolve();
		});
		server.closeIdleConnections();
	});
}

/** Runs until a signal; the process exits from the shutdown handler. */
export async function workerCommand(config: Config): Promise<void> {
	// Fail on a taken port before the scheduler claims any tick.
	await assertPortFree(config.host, config.port);
	// A signal drains the scheduler (30 s grace), closes the database, exits 0.
	onInterrupt((signal) => void finish(0, signal));
	const services = await bootCli(config, true);
	const server = http.createServer((req, res) => {
		respond(services, req, res).catch((err: unknown) => {
			log.error({ err, url: req.url }, 'worker request failed');
			if (!res.headersSent) send(res, 500, errorBody('internal', 'internal error'), JSON_TYPE);
			else res.destroy();
		});
	});
	await listen(server, config.host, config.port);
	// Registered last, so it runs first: no new scrapes while the scheduler drains.
	onStop(() => close(server));
	log.info({ host: config.host, port: config.port, instance: config.instanceId }, 'worker listening (/healthz, /metrics)');
}
