/**
 * Live updates for the admin pages (Server-Sent Events), the one way pages hear of changes.
 * PostgreSQL is the source of truth: one LISTEN per process on the ledger's run channel, the
 * scheduler's signal channel, LIVE_CHANNEL (which triggers on device sessions, access keys
 * and the outbox notify: drizzle/0007_live_update_triggers.sql; notifications and channels:
 * drizzle/0009_alerts.sql) and the alerts' channel (monitor
 * pings and status changes: alerts/signal.ts), so the changes of every
 * instance reach every browser. Heartbeats notify nothing (their hot path stays one UPDATE):
 * while a sessions page is open the hub reads the latest heartbeat every HEARTBEAT_CHECK_MS,
 * one query for all streams. Events are coalesced for COALESCE_MS and sent to each stream as
 * one message; on shutdown every stream ends, so open pages never hold up the HTTP drain. A
 * stream opened by a login session ends within SESSION_CHECK_MS of that session ending
 * (logout, expiry, the user deleted) or of its user's role changing: live updates are never
 * delivered on a session that no longer grants them. A stream opened with `since` (when the
 * page's data was read) first gets one catch-up message when anything was heard from then on,
 * or when the hub was not listening yet: a change between a page's load and its stream opening
 * is never missed.
 */
import type { Sql } from 'postgres';
import { ALERTS_CHANNEL, parseAlertSignal } from '../alerts/signal';
import { CHANNEL, parseSignal } from '../cron/notify';
import { parseRunsPayload, RUNS_CHANNEL } from '../cron/run-events';
import { sessionExpiresAt } from '../auth/session';
import type { UserRole } from '../db/schema';
import { latestHeartbeat } from '../devices/sessions';
import type { LiveMessage } from '../../live-message';
import { log } from '../log';

/** Where the database's triggers announce `sessions`, `email` and `alerts` changes. */
export const LIVE_CHANNEL = 'cronkit_live';

const COALESCE_MS = 250;
const PING_MS = 20_000;
/** How often open streams' sessions are checked (one query for all of them). */
export const SESSION_CHECK_MS = 2_000;
/** How often the latest heartbeat is read while a stream watches heartbeats. */
export const HEARTBEAT_CHECK_MS = 3_000;
/**
 * A page read at `since` catches up when a change was heard from this long before it: the page
 * may have been read on another instance, whose clock is a little off.
 */
const SINCE_SLACK_MS = 1_000;
/** The catch-up message: every page refreshes its data once. */
const CATCH_UP: LiveMessage = { runs: [], jobs: [], all: true, settings: false, sessions: true, email: true, alerts: true, monitors: ['*'] };
/** Above this many runs in one message, send only which jobs changed. */
const MAX_RUNS_PER_MESSAGE = 200;


/** The login session a stream was opened with, and the role it had then. */
export type StreamOwner = { sessionId: string; role: UserRole };

type Client = { send(chunk: string): boolean; end(): void; owner?: StreamOwner; heartbeats: boolean };

export type StreamOptions = {
	/** The login session the stream is opened with: the stream ends with it. */
	owner?: StreamOwner;
	/** The page shows heartbeat times (/admin/sessions): tell it when a new one arrives. */
	heartbeats?: boolean;
	/** When the page's data was read (ms, server time): catch up on what changed since. */
	since?: number;
};

const encoder = new TextEncoder();

export class LiveHub {
	private clients = new Set<Client>();
	private started: Promise<void> | null = null;
	private unlisten: (() => Promise<unknown>)[] = [];
	private stopped = false;
	private pending: LiveMessage | null = null;
	private flushTimer: NodeJS.Timeout | undefined;
	private pingTimer: NodeJS.Timeout | undefined;
	private checkTimer: NodeJS.Timeout | undefined;
	private checking = false;
	private heartbeatTimer: NodeJS.Timeout | undefined;
	/** The latest heartbeat seen (ms), null before the first reading. */
	private lastHeartbeat: number | null = null;
	/** When the latest change was heard (ms; when listening began, before the first). */
	private changedAt = 0;

	constructor(private readonly sql: Sql) {}

	get size(): number {
		return this.clients.size;
	}

	private start(): Promise<void> {
		this.started ??= (async () => {
			const runs = await this.sql.listen(RUNS_CHANNEL, (payload) => {
				const p = parseRunsPayload(payload);
				if (!p) return;
				if ('n' in p) this.queue({ all: true });
				else if ('jobs' in p) this.queue({ jobs: p.jobs });
				else this.queue({ runs: p.runs, jobs: [...new Set(p.runs.map((r) => r[1]))] });
			});
			const signals = await this.sql.listen(CHANNEL, (payload) => {
				const s = parseSignal(payload);
				if (!s) return;
				if (s.t === 'job') this.queue({ jobs: [s.key] });
				else if (s.t === 'settings') this.queue({ settings: true, all: true });
				// a new queued run (Run now) or a cancel: which job is not in the signal
				else this.queue({ all: true });
			});
			const pages = await this.sql.listen(LIVE_CHANNEL, (payload) => {
				if (payload === 'sessions') this.queue({ sessions: true });
				else if (payload === 'email') this.queue({ email: true });
				else if (payload === 'alerts') this.queue({ alerts: true });
			});
			const alerts = await this.sql.listen(ALERTS_CHANNEL, (payload) => {
				const s = parseAlertSignal(payload);
				if (s?.t === 'monitor') this.queue({ monitors: [s.key] });
			});
			this.unlisten = [() => runs.unlisten(), () => signals.unlisten(), () => pages.unlisten(), () => alerts.unlisten()];
			// What changed before it listened is unknown: streams of pages read before catch up.
			this.changedAt = Date.now();
			this.pingTimer = setInterval(() => this.broadcast(': ping\n\n'), PING_MS);
			this.pingTimer.unref();
		})().catch((err: unknown) => {
			this.started = null;
			throw err;
		});
		return this.started;
	}

	private queue(part: Partial<LiveMessage>): void {
		this.changedAt = Date.now();
		const p = (this.pending ??= { runs: [], jobs: [], all: false, settings: false, sessions: false, email: false, alerts: false, monitors: [] });
		if (part.runs) p.runs.push(...part.runs);
		if (part.jobs) for (const j of part.jobs) if (!p.jobs.includes(j)) p.jobs.push(j);
		if (part.monitors) for (const m of part.monitors) if (!p.monitors.includes(m)) p.monitors.push(m);
		p.all ||= part.all ?? false;
		p.settings ||= part.settings ?? false;
		p.sessions ||= part.sessions ?? false;
		p.email ||= part.email ?? false;
		p.alerts ||= part.alerts ?? false;
		this.flushTimer ??= setTimeout(() => this.flush(), COALESCE_MS);
	}

	private flush(): void {
		this.flushTimer = undefined;
		const msg = this.pending;
		this.pending = null;
		if (!msg || !this.clients.size) return;
		if (msg.runs.length > MAX_RUNS_PER_MESSAGE) {
			msg.runs = [];
			if (msg.jobs.length > MAX_RUNS_PER_MESSAGE) {
				msg.jobs = [];
				msg.all = true;
			}
		}
		// Pinged monitors beyond this are sent as "some" (one entry the pages do not name).
		if (msg.monitors.length > MAX_RUNS_PER_MESSAGE) msg.monitors = ['*'];
		this.broadcast(`data: ${JSON.stringify(msg)}\n\n`);
	}

	private broadcast(chunk: string): void {
		for (const c of this.clients) if (!c.send(chunk)) this.clients.delete(c);
	}

	/** Ends the streams whose session ended, expired or changed role since they opened. */
	async checkSessions(now = new Date()): Promise<void> {
		const owned = [...this.clients].filter((c) => c.owner);
		if (!owned.length || this.checking) return;
		this.checking = true;
		try {
			const ids = [...new Set(owned.map((c) => c.owner!.sessionId))];
			const rows = await this.sql<{ id: string; createdAt: Date; lastVerifiedAt: Date; role: UserRole }[]>`
				select s.id, s.created_at as "createdAt", s.last_verified_at as "lastVerifiedAt", u.role
				from auth_session s join "user" u on u.id = s.user_id where s.id = any(${ids})`;
			const live = new Map(rows.filter((r) => sessionExpiresAt(r) > now).map((r) => [r.id, r.role]));
			for (const c of owned) {
				if (live.get(c.owner!.sessionId) === c.owner!.role) continue;
				this.clients.delete(c);
				c.end();
			}
		} catch (err) {
			log.warn({ err }, 'could not check the sessions of live update streams');
		} finally {
			this.checking = false;
		}
	}

	/** Queues a `sessions` message when a heartbeat arrived since the last reading. */
	async checkHeartbeats(): Promise<void> {
		if (![...this.clients].some((c) => c.heartbeats)) {
			clearInterval(this.heartbeatTimer);
			this.heartbeatTimer = undefined;
			this.lastHeartbeat = null;
			return;
		}
		try {
			const at = (await latestHeartbeat(this.sql))?.getTime() ?? 0;
			if (this.lastHeartbeat !== null && at !== this.lastHeartbeat) this.queue({ sessions: true });
			this.lastHeartbeat = at;
		} catch (err) {
			log.warn({ err }, 'could not read the latest heartbeat for live updates');
		}
	}

	/** A new event stream for one browser tab, ended when its owner's session ends. */
	async subscribe(signal?: AbortSignal, opts: StreamOptions = {}): Promise<ReadableStream<Uint8Array>> {
		if (this.stopped) throw new Error('shutting down');
		await this.start();
		this.checkTimer ??= setInterval(() => void this.checkSessions(), SESSION_CHECK_MS).unref();
		let client: Client;
		const stream = new ReadableStream<Uint8Array>({
			start: (controller) => {
				let open = true;
				client = {
					owner: opts.owner,
					heartbeats: opts.heartbeats ?? false,
					send: (chunk) => {
						if (!open) return false;
						try {
							controller.enqueue(encoder.encode(chunk));
							return true;
						} catch {
							open = false;
							return false;
						}
					},
					end: () => {
						if (!open) return;
						open = false;
						try {
							controller.close();
						} catch {
							// already closed by the client going away
						}
					}
				};
				this.clients.add(client);
				// Reconnect after 3 s if the connection drops (EventSource does it on its own).
				client.send(`retry: 3000\n: connected\n\n`);
				if (opts.since !== undefined && this.changedAt >= opts.since - SINCE_SLACK_MS) client.send(`data: ${JSON.stringify(CATCH_UP)}\n\n`);
				signal?.addEventListener('abort', () => {
					this.clients.delete(client);
					client.end();
				});
			},
			cancel: () => {
				this.clients.delete(client);
			}
		});
		// After the client is in the set: a check finding no watcher stops the timer.
		if (opts.heartbeats && !this.heartbeatTimer) {
			this.heartbeatTimer = setInterval(() => void this.checkHeartbeats(), HEARTBEAT_CHECK_MS).unref();
			void this.checkHeartbeats();
		}
		return stream;
	}

	/** Ends every stream and stops listening (server shutdown). */
	async stop(): Promise<void> {
		this.stopped = true;
		clearTimeout(this.flushTimer);
		clearInterval(this.pingTimer);
		clearInterval(this.checkTimer);
		clearInterval(this.heartbeatTimer);
		for (const c of this.clients) c.end();
		const n = this.clients.size;
		this.clients.clear();
		if (n) log.info({ streams: n }, 'closed live update streams');
		await Promise.all(this.unlisten.map((u) => u().catch(() => undefined)));
		this.unlisten = [];
	}
}
