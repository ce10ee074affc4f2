/**
 * The anchor of bench/heartbeat.ts: a bare node:http server doing the heartbeat's UPDATE through
 * postgres.js (same pool size, same statement on the id's SHA-256 as the app, JSON in and out),
 * nothing else. Run as a child
 * process (like the app) with DATABASE_URL and PORT; prints "listening" when ready.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import postgres from 'postgres';

const sql = postgres(process.env.DATABASE_URL!, { max: Number(process.env.POOL ?? 20), onnotice: () => {} });
const TIMEOUT_SECONDS = 60;

const server = http.createServer((req, res) => {
	const chunks: Buffer[] = [];
	req.on('data', (c: Buffer) => chunks.push(c));
	req.on('end', async () => {
		try {
			const { sessionId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { sessionId: string };
			const r = await sql`
				update device_session set last_heartbeat_at = now()
				where id = ${createHash('sha256').update(sessionId, 'utf8').digest('hex')} and ended_at is null and last_heartbeat_at > now() - make_interval(secs => ${TIMEOUT_SECONDS})`;
			const ok = r.count === 1;
			res.writeHead(ok ? 200 : 410, { 'content-type': 'application/json' });
			res.end(ok ? '{"ok":true}' : '{"error":{"code":"session_expired","message":"","issues":[]}}');
		} catch {
			res.writeHead(400).end();
		}
	});
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => {
	server.close();
	void sql.end({ timeout: 1 }).then(() => process.exit(0));
});
