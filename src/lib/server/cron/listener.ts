/**
 * The LISTEN side of cross-instance signals. postgres.js re-subscribes by itself after its
 * LISTEN connection drops, but only if the database answers at that moment; after an outage
 * the subscription can be gone for good. So the listener proves it still hears: every
 * `listenCheckMs` it notifies itself and waits for the echo; no echo, it subscribes again.
 * Each (re)subscription after the first calls `onReconnect` (notifications may have been lost:
 * the scheduler resyncs at once).
 */
import { randomUUID } from 'node:crypto';
import type { Timer } from './clock';
import type { Engine } from './engine';
import { CHANNEL, notify, parseSignal, type Signal } from './notify';

/** How long a ping may take to come back before the subscription counts as lost. */
const ECHO_MS = 1_000;

export class SignalListener {
	private handle: { unlisten(): Promise<void> } | null = null;
	private subscribed = false;
	private interval: Timer | undefined;
	private ping: { id: string; heard: () => void } | null = null;
	private checking = false;

	constructor(
		private readonly engine: Engine,
		private readonly deps: { onSignal: (s: Signal) => void; onReconnect: () => void }
	) {}

	async start(): Promise<void> {
		await this.subscribe();
		this.interval = this.engine.clock.setInterval(() => void this.check(), this.engine.timing.listenCheckMs);
	}

	async stop(): Promise<void> {
		this.engine.clock.clearInterval(this.interval);
		const h = this.handle;
		this.handle = null;
		await h?.unlisten().catch(() => undefined);
	}

	private async subscribe(): Promise<void> {
		this.handle = await this.engine.sql.listen(
			CHANNEL,
			(payload) => this.receive(payload),
			() => {
				// postgres.js calls this after its own re-subscription too.
				if (this.subscribed) this.deps.onReconnect();
				this.subscribed = true;
			}
		);
	}

	private receive(payload: string): void {
		const s = parseSignal(payload);
		if (!s) return;
		if (s.t === 'ping') {
			if (s.id === this.ping?.id) this.ping.heard();
			return;
		}
		this.deps.onSignal(s);
	}

	/** Does our own notification come back? If not, subscribe again and resync. */
	async check(): Promise<void> {
		if (this.checking || !this.handle) return;
		this.checking = true;
		const { clock, log, sql } = this.engine;
		try {
			const id = randomUUID();
			let timer: Timer | undefined;
			const heard = new Promise<boolean>((resolve) => {
				this.ping = { id, heard: () => resolve(true) };
				timer = clock.setTimeout(() => resolve(false), ECHO_MS);
			});
			try {
				await notify(sql, { t: 'ping', id });
			} catch {
				// The database does not answer: nothing can be judged until it does.
				clock.clearTimeout(timer);
				return;
			}
			const ok = await heard;
			clock.clearTimeout(timer);
			if (ok || !this.handle) return;
			log.warn('the LISTEN subscription was lost; subscribing again');
			await this.handle.unlisten().catch(() => undefined);
			this.subscribed = false;
			await this.subscribe();
			this.deps.onReconnect();
		} catch (err) {
			log.warn({ err }, 'could not subscribe again to notifications; will try again');
		} finally {
			this.ping = null;
			this.checking = false;
		}
	}
}
