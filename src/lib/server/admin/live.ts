/**
 * Live updates for the admin pages (Server-Sent Events). PostgreSQL is the source of truth:
 * one LISTEN per process on the ledger's run channel and the scheduler's signal channel, so
 * runs of every instance reach every browser. Events are coalesced for COALESCE_MS and sent
 * to each stream as one message; on shutdown every stream ends, so open pages never hold up
 * the HTTP drain.
 */
import type { Sql } from 'postgres';
import { CHANNEL, parseSignal } from '../cron/notify';
import { parseRunsPayload, RUNS_CHANNEL } from '../cron/run-events';
import { log } from '../log';
import { onStop, runtime } from '../runtime';

const COALESCE_MS = 250;
const PING_MS = 20_000;
/** Above this many runs in one message, send only which jobs changed. */
const MAX_RUNS_PER_MESSAGE = 200;

/** What one SSE message carries (the client's `LiveMessage`). */
export type LiveMessage = {
	/** `[id, jobKey, status]` of changed runs. */
	runs: [number, string, string][];
	/** Jobs whose configuration or runs changed. */
	jobs: string[];
	/** Something changed that is not itemised (a big batch): refresh whatever is shown. */
	all: boolean;
	/** Global settings changed (pause banner, default zone). */
	settings: boolean;
};

type Client = { send(chunk: string): boolean; end(): void };

const encoder = new TextEncoder();

export class LiveHub {
	private clients = new Set<Client>();
	private started: Promise<void> | null = null;
	private unlisten: (() => Promise<unknown>)[] = [];
	private stopped = false;
	private pending: LiveMessage | null = null;
	private flushTimer: NodeJS.Timeout | undefined;
	private pingTimer: NodeJS.Timeout | undefined;

	constructor(private readonly sql: () => Sql) {}

	get size(): number {
		return this.clients.size;
	}

	private start(): Promise<void> {
		this.started ??= (async () => {
			const sql = this.sql();
			const runs = await sql.listen(RUNS_CHANNEL, (payload) => {
				const p = parseRunsPayload(payload);
				if (!p) return;
				if ('n' in p) this.queue({ all: true });
				else this.queue({ runs: p.runs, jobs: [...new Set(p.runs.map((r) => r[1]))] });
			});
			const signals = await sql.listen(CHANNEL, (payload) => {
				const s = parseSignal(payload);
				if (!s) return;
				if (s.t === 'job') this.queue({ jobs: [s.key] });
				else if (s.t === 'settings') this.queue({ settings: true, all: true });
				// a new queued run (Run now) or a cancel: which job is not in the signal
				else this.queue({ all: true });
			});
			this.unlisten = [() => runs.unlisten(), () => signals.unlisten()];
			this.pingTimer = setInterval(() => this.broadcast(': ping\n\n'), PING_MS);
			this.pingTimer.unref();
		})().catch((err: unknown) => {
			this.started = null;
			throw err;
		});
		return this.started;
	}

	private queue(part: Partial<LiveMessage>): void {
		const p = (this.pending ??= { runs: [], jobs: [], all: false, settings: false });
		if (part.runs) p.runs.push(...part.runs);
		if (part.jobs) for (const j of part.jobs) if (!p.jobs.includes(j)) p.jobs.push(j);
		p.all ||= part.all ?? false;
		p.settings ||= part.settings ?? false;
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
		this.broadcast(`data: ${JSON.stringify(msg)}\n\n`);
	}

	private broadcast(chunk: string): void {
		for (const c of this.clients) if (!c.send(chunk)) this.clients.delete(c);
	}

	/** A new event stream for one browser tab. */
	async subscribe(signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
		if (this.stopped) throw new Error('shutting down');
		await this.start();
		let client: Client;
		return new ReadableStream<Uint8Array>({
			start: (controller) => {
				let open = true;
				client = {
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
				signal?.addEventListener('abort', () => {
					this.clients.delete(client);
					client.end();
				});
			},
			cancel: () => {
				this.clients.delete(client);
			}
		});
	}

	/** Ends every stream and stops listening (server shutdown). */
	async stop(): Promise<void> {
		this.stopped = true;
		clearTimeout(this.flushTimer);
		clearInterval(this.pingTimer);
		for (const c of this.clients) c.end();
		const n = this.clients.size;
		this.clients.clear();
		if (n) log.info({ streams: n }, 'closed live update streams');
		await Promise.all(this.unlisten.map((u) => u().catch(() => undefined)));
		this.unlisten = [];
	}
}

let hub: LiveHub | undefined;

/** This process's hub, created on first use; it ends its streams when the server stops. */
export function liveHub(): LiveHub {
	if (!hub) {
		const created = new LiveHub(() => runtime().database.sql);
		hub = created;
		onStop(() => created.stop());
	}
	return hub;
}
