import { describe, expect, it } from 'vitest';
import { formatAbsolute, formatDuration, formatRelative, zoneLabel } from './time';

describe('formatRelative', () => {
	const now = Date.parse('2025-06-01T12:00:00Z');
	it('rounds toward zero in the largest fitting unit', () => {
		expect(formatRelative(now + 2_000, now)).toBe('in 2 seconds');
		expect(formatRelative(now - 2_000, now)).toBe('just now');
		expect(formatRelative(now - 30_000, now)).toBe('30 seconds ago');
		expect(formatRelative(now + 5 * 60_000 + 10_000, now)).toBe('in 5 minutes');
		expect(formatRelative(now - 3 * 3_600_000, now)).toBe('3 hours ago');
		expect(formatRelative(new Date(now - 2 * 86_400_000), now)).toBe('2 days ago');
		expect(formatRelative('2024-05-01T12:00:00Z', now)).toBe('1 year ago');
	});

	it('a past event never reads "in N seconds" (a browser clock behind the server’s); a coming one never reads "ago"', () => {
		expect(formatRelative(now + 5_000, now, 'past')).toBe('just now');
		expect(formatRelative(now - 30_000, now, 'past')).toBe('30 seconds ago');
		expect(formatRelative(now + 3_000, now, 'future')).toBe('in 3 seconds');
		expect(formatRelative(now - 3_000, now, 'future')).toBe('due now');
		expect(formatRelative(now + 8_000, now, 'future')).toBe('in 8 seconds');
	});
});

describe('formatAbsolute', () => {
	it('renders in the given zone with its offset at that instant', () => {
		expect(formatAbsolute('2025-03-30T00:30:00Z', 'Europe/Paris')).toBe('2025-03-30 01:30:00 GMT+1');
		expect(formatAbsolute('2025-03-30T01:30:00Z', 'Europe/Paris')).toBe('2025-03-30 03:30:00 GMT+2');
		expect(formatAbsolute('2025-03-30T01:30:00Z')).toBe('2025-03-30 01:30:00 UTC');
		expect(formatAbsolute('2025-03-30T01:30:00Z', 'UTC', { seconds: false })).toBe('2025-03-30 01:30 UTC');
	});
	it('labels UTC and zero-offset zones', () => {
		expect(zoneLabel(0, 'UTC')).toBe('UTC');
		expect(zoneLabel(Date.parse('2025-01-15T00:00:00Z'), 'Europe/London')).toBe('GMT+0');
	});
});

describe('formatDuration', () => {
	it('picks a readable unit', () => {
		expect(formatDuration(null)).toBe('—');
		expect(formatDuration(850)).toBe('850 ms');
		expect(formatDuration(1_234)).toBe('1.23 s');
		expect(formatDuration(12_345)).toBe('12.3 s');
		expect(formatDuration(245_000)).toBe('4 min 5 s');
		expect(formatDuration(7_380_000)).toBe('2 h 3 min');
	});
});
