import { describe, expect, it } from 'vitest';
import { metricsProblems } from '../../../../tests/helpers/metrics-lint';
import '../devices/metrics';
import '../email/metrics';
import { metricsText, registry } from './index';

const LAG_MAX = 'cronkit_nodejs_eventloop_lag_max_seconds';

/** Runs before any other test of this file scrapes. */
describe('the event-loop lag histogram', () => {
	it('starts at the first scrape (no timer before it) and then shows a stall between scrapes', async () => {
		expect(registry.getSingleMetric(LAG_MAX)).toBeUndefined();
		await metricsText();
		expect(registry.getSingleMetric(LAG_MAX)).toBeDefined();
		const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
		// The sampling timer (every 100 ms) has fired; then a 300 ms stall delays it that much.
		await sleep(250);
		const until = performance.now() + 300;
		while (performance.now() < until) {
			// blocking the event loop
		}
		await sleep(250);
		const { body } = await metricsText();
		const max = Number(/^cronkit_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(body)?.[1]);
		expect(max).toBeGreaterThanOrEqual(0.2);
	});
});

describe('/metrics names', () => {
	it('pass promtool’s rules: no doubled prefix, counters and only counters end in _total', async () => {
		const { body } = await metricsText();
		expect(metricsProblems(body)).toEqual([]);
		expect(body).toContain('# TYPE cronkit_process_cpu_user_seconds_total counter');
		expect(body).not.toContain('cronkit_process_process_');
		expect(body).toContain('# TYPE cronkit_nodejs_active_handles gauge');
	});

	it('the lint itself catches what promtool reported before', () => {
		expect(metricsProblems('# HELP cronkit_process_process_x_total h\n# TYPE cronkit_process_process_x_total counter\n')).toEqual([
			'cronkit_process_process_x_total repeats a prefix'
		]);
		expect(metricsProblems('# HELP cronkit_a_total h\n# TYPE cronkit_a_total gauge\n# HELP cronkit_b h\n# TYPE cronkit_b counter\n')).toEqual([
			'gauge cronkit_a_total should not end in _total',
			'counter cronkit_b should end in _total'
		]);
	});
});
