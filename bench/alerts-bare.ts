/**
 * The anchor of bench/alerts.ts: a bare node:http server answering `GET /ping/{token}` with the
 * app's own ping statement (recordPing: the same insert of the ping, update of the monitor and
 * notification, through postgres.js), nothing else: no framework, no fast-path parsing, no
 * body. Run as a child process (like the app) with DATABASE_URL and PORT; prints "listening".
 */
import http from 'node:http';
import postgres from 'postgres';
import { recordPing } from '../src/lib/server/monitors/ping';

const sql = postgres(process.env.DATABASE_URL!, { max: Number(process.env.POOL ?? 10), onnotice: () => {} });

const server = http.createServer((req, res) => {
	const token = (req.url ?? '').split('/')[2] ?? '';
	req.resume();
	recordPing(sql, { token, kind: 'success', exitCode: null, body: null, bodyBytes: 0, remoteAddr: req.socket.remoteAddress ?? null, userAgent: null }).then(
		(done) => res.writeHead(done ? 200 : 404, { 'content-type': 'text/plain' }).end(done ? 'OK\n' : 'not found\n'),
		() => res.writeHead(503).end()
	);
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => {
	server.close();
	void sql.end({ timeout: 1 }).then(() => process.exit(0));
});
