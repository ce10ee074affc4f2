/**
 * Writes that must happen eventually but need not hold anything up (a job's next run for the
 * list page, its latest news, when a burst started, cancelling a replaced run). Each is tried at
 * once; while the database does not answer it is kept, by name (a later write of the same name
 * replaces it), and tried again with backoff. Every such write is idempotent.
 */
import type { Timer } from './clock';
import { backoff, type Engine } from './engine';

/** More than this many waiting writes: the oldest are dropped, loudly. */
const MAX_WAITING = 10_000;

export class DeferredWrites {
	private waiting = new Map<string, () => Promise<unknown>>();
	private timer: Timer | undefined;
	private failures = 0;
	private running = false;
	private stopped = false;

	constructor(private readonly engine: Engine) {}

	get size(): number {
		return this.waiting.size;
	}

	/** Tries `write` now; keeps it for later if it fails. Resolves after the first try either way. */
	run(name: string, write: () => Promise<unknown>): Promise<void> {
		return write().then(
			() => undefined,
			(err: unknown) => {
				if (this.failures === 0) this.engine.log.warn({ err, write: name }, 'write failed; it will be tried again');
				this.keep(name, write);
			}
		);
	}

	private keep(name: string, write: () => Promise<unknown>): void {
		this.waiting.delete(name);
		this.waiting.set(name, write);
		if (this.waiting.size > MAX_WAITING) {
			const oldest = this.waiting.keys().next().value!;
			this.waiting.delete(oldest);
			this.engine.log.error({ write: oldest }, 'too many writes waiting for the database: dropped the oldest');
		}
		this.schedule();
	}

	private schedule(): void {
		if (this.timer || this.running || this.stopped || !this.waiting.size) return;
		this.timer = this.engine.clock.setTimeout(() => {
			this.timer = undefined;
			void this.retry();
		}, backoff(this.engine.timing, this.failures + 1));
	}

	/** Tries every waiting write once, in the order they came. */
	async retry(): Promise<void> {
		if (this.running) return;
		this.running = true;
		const batch = [...this.waiting];
		this.waiting.clear();
		let failed = 0;
		for (const [name, write] of batch) {
			try {
				await write();
			} catch {
				failed++;
				// A newer write of the same name may have arrived meanwhile: it wins.
				if (!this.waiting.has(name)) this.waiting.set(name, write);
			}
		}
		this.failures = failed ? this.failures + 1 : 0;
		this.running = false;
		this.schedule();
	}

	start(): void {
		this.stopped = false;
	}

	stop(): void {
		this.stopped = true;
		this.engine.clock.clearTimeout(this.timer);
		this.timer = undefined;
	}
}
