import { describe, expect, it } from 'vitest';
import type { ExecutionStatus } from '../../names';
import { runRate } from './stats';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-10T12:00:00Z');
/** Runs `everyMs` apart ending at NOW, newest first (as jobStats reads them). */
const runs = (n: number, everyMs: number, status: ExecutionStatus = 'succeeded') =>
	Array.from({ length: n }, (_, i) => ({ id: n - i, status, durationMs: 10, at: new Date(NOW - i * everyMs) }));

describe('runs per day', () => {
	it('a job older than a week: finished runs of the last 7 days over 7 days', () => {
		const rows = runs(20, DAY / 2); // 20 runs 12 h apart: 15 within the week (0 … 7 days ago)
		const rate = runRate(rows, new Date(NOW - 60 * DAY), NOW, 1000)!;
		expect(rate.basis).toBe('week');
		expect(rate.finished).toBe(15);
		expect(rate.perDay).toBeCloseTo(15 / 7, 5);
	});

	it('a younger job: since its first run, not the number of runs in the window', () => {
		// Three runs in the last 3 days, the first 3 days ago.
		const rows = runs(3, DAY);
		const rate = runRate(rows, rows[2]!.at, NOW, 1000)!;
		expect(rate.basis).toBe('since-first');
		expect(rate.perDay).toBeCloseTo(3 / 2, 5);
	});

	it('three retries within a second are no daily rate at all', () => {
		const rows = runs(3, 300, 'failed');
		const rate = runRate(rows, rows[2]!.at, NOW, 1000)!;
		expect(rate.perDay).toBeNull();
		expect(rate.finished).toBe(3);
	});

	it('a busy job (a full window of reads inside the week): the span of the runs read', () => {
		const rows = runs(100, 10_000); // every 10 s → 8,640 a day
		const rate = runRate(rows, new Date(NOW - 30 * DAY), NOW, 100)!;
		expect(rate.basis).toBe('latest');
		expect(rate.perDay).toBeCloseTo(100 / ((99 * 10_000) / DAY), 0);
	});

	it('unfinished and skipped runs are not counted', () => {
		const rows = [...runs(2, DAY, 'skipped'), ...runs(1, DAY, 'running')];
		expect(runRate(rows, new Date(NOW - 30 * DAY), NOW, 1000)!.finished).toBe(0);
	});

	it('no run: no rate', () => {
		expect(runRate([], null, NOW)).toBeNull();
	});
});
