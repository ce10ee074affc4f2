/**
 * Leases: this instance renews the leases of its active runs in one statement every third of a
 * lease, and any instance reaps runs whose lease expired (`interrupted`, then the retry policy).
 * When renewals fail for longer than a lease, the local handlers are aborted: their runs are
 * being interrupted elsewhere, and the ledger will refuse their outcomes (the fence).
 */
import { runsTotal } from '../metrics';
import type { Engine } from './engine';
import * as ledger from './ledger';
import type { Runner } from './runner';

export class Leases {
	private failures = 0;

	constructor(
		private readonly engine: Engine,
		private readonly runner: Runner,
		private readonly deps: { onReaped: () => void }
	) {}

	/** How often to renew (and reap). */
	get periodMs(): number {
		return Math.max(100, Math.floor(this.engine.timing.leaseMs / 3));
	}

	async renew(): Promise<void> {
		// First, locally: a lease that could not be renewed in time is gone, database or not.
		const expired = this.runner.abortExpired();
		if (expired.length) this.engine.log.warn({ runs: expired }, 'leases passed without renewal: handlers aborted');
		const ids = [...this.runner.active.keys()];
		if (!ids.length) return;
		const sentAt = this.engine.clock.monotonic();
		try {
			const held = await ledger.renewLeases(this.engine.sql, ids, this.engine.instanceId, this.engine.timing.leaseMs);
			this.failures = 0;
			this.runner.renewed(ids, held, sentAt);
		} catch (err) {
			if (this.failures++ === 0) this.engine.log.warn({ err }, 'lease renewal failed');
		}
	}

	async reap(): Promise<number> {
		try {
			const settled = await ledger.reapExpiredLeases(this.engine.sql);
			const interrupted = settled.filter((s) => s.transitioned);
			for (const s of interrupted) runsTotal.inc({ job: s.jobKey, status: s.status });
			if (interrupted.length) {
				this.engine.log.warn({ runs: interrupted.map((s) => s.id) }, 'recovered runs whose instance stopped heartbeating');
				this.deps.onReaped();
			}
			return interrupted.length;
		} catch (err) {
			this.engine.log.warn({ err }, 'lease reaping failed');
			return 0;
		}
	}
}
