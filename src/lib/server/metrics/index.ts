/** Prometheus metrics (README, "Health and metrics"). One registry per process; gauges read the database on scrape. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();

let defaultsCollected = false;

/**
 * prom-client's process and Node.js metrics, registered at the first scrape: the event-loop lag
 * histogram samples with a timer every `eventLoopMonitoringPrecision` ms, and a process nobody
 * scrapes (an idle worker) should not wake for it (docs/architecture.md, "Idle cost"). So the
 * lag and GC figures cover the time since the first scrape (the lag gauges, as prom-client
 * resets its histogram at every scrape, the time since the previous one); CPU, memory and
 * handles are read at each scrape anyway. At 100 ms (prom-client's default, 10 ms, woke a
 * process 100 times a second) a stall shows in the histogram when it spans a sample, i.e. every
 * stall of 100 ms or more.
 */
function collectDefaults(): void {
	if (defaultsCollected) return;
	defaultsCollected = true;
	// prom-client's names already start with process_ or nodejs_: the prefix is ours alone.
	collectDefaultMetrics({ register: registry, prefix: 'cronkit_', eventLoopMonitoringPrecision: 100 });
	// These three are gauges named like counters (promtool refuses them); the same counts stay
	// available by type in cronkit_nodejs_active_{handles,requests,resources}.
	for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) registry.removeSingleMetric(`cronkit_nodejs_${name}`);
}

export const runsTotal = new Counter({
	name: 'cronkit_runs_total',
	help: 'Runs that reached a final status, by job and status',
	labelNames: ['job', 'status'] as const,
	registers: [registry]
});

export const runDuration = new Histogram({
	name: 'cronkit_run_duration_seconds',
	help: 'Run duration by job',
	labelNames: ['job'] as const,
	buckets: [0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
	registers: [registry]
});

export const fireLag = new Histogram({
	name: 'cronkit_fire_lag_seconds',
	help: 'Delay from a tick\'s scheduled instant to its handler start',
	buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
	registers: [registry]
});

export const ticksTotal = new Counter({
	name: 'cronkit_ticks_total',
	help: 'Schedule ticks recorded by this instance, by outcome (claimed, skipped, missed, caught_up)',
	labelNames: ['outcome'] as const,
	registers: [registry]
});

export const clockOffset = new Gauge({
	name: 'cronkit_clock_offset_seconds',
	help: "This instance's clock minus the database's, as last measured (ticks start by the database's clock)",
	registers: [registry]
});

type GaugeSource = () => Promise<number>;
const sources = new Map<string, GaugeSource>();

/** A gauge whose value is read when /metrics is scraped (e.g. a COUNT on a partial index). */
export function databaseGauge(name: string, help: string, read: GaugeSource): void {
	sources.set(name, read);
	if (registry.getSingleMetric(name)) return;
	new Gauge({
		name,
		help,
		registers: [registry],
		async collect() {
			const src = sources.get(name);
			if (src) this.set(await src().catch(() => NaN));
		}
	});
}

export async function metricsText(): Promise<{ body: string; contentType: string }> {
	collectDefaults();
	return { body: await registry.metrics(), contentType: registry.contentType };
}
