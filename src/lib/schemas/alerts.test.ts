import { describe, expect, it } from 'vitest';
import { alertRulesInput, durationText, normalizeRules, parseDuration } from './alerts';

describe('alert rules', () => {
	it('are stored whole, defaults filled in, cleared fields left out', () => {
		expect(normalizeRules()).toEqual({ onFailure: 'first', onRecovery: true, onMissed: false });
		expect(alertRulesInput.parse({ channels: ['ch_abcd', 'ch_abcd'], maxDurationMs: 60_000, noSuccessWithinMs: null })).toEqual({
			channels: ['ch_abcd'],
			onFailure: 'first',
			onRecovery: true,
			onMissed: false,
			maxDurationMs: 60_000
		});
		expect(alertRulesInput.parse({ channels: [] })).toEqual({ channels: [], onFailure: 'first', onRecovery: true, onMissed: false });
	});

	it('refuse absurd durations and unknown fields, naming them', () => {
		const paths = (v: unknown) => alertRulesInput.safeParse(v).error?.issues.map((i) => i.path.join('.'));
		expect(paths({ maxDurationMs: -1 })).toEqual(['maxDurationMs']);
		expect(paths({ maxDurationMs: 25 * 3600_000 })).toEqual(['maxDurationMs']);
		expect(paths({ noSuccessWithinMs: 1.5 })).toEqual(['noSuccessWithinMs']);
		expect(paths({ channels: ['nope'] })).toEqual(['channels.0']);
		expect(paths({ page: true })).toEqual(['']);
	});
});

describe('durations in forms', () => {
	it('read 90, 90s, 5m, 1.5h, 2d, 500ms; blank is none', () => {
		expect(['90', '90s', '5m', '1.5h', '2d', '500ms', ' 10 min '].map((t) => parseDuration(t))).toEqual([
			{ ms: 90_000 },
			{ ms: 90_000 },
			{ ms: 300_000 },
			{ ms: 5_400_000 },
			{ ms: 172_800_000 },
			{ ms: 500 },
			{ ms: 600_000 }
		]);
		expect(parseDuration('')).toEqual({ ms: null });
		expect(parseDuration('soon')).toEqual({ error: 'must be a duration like 90s, 5m, 2h or 1d' });
	});

	it('are shown in the largest unit that fits', () => {
		expect([172_800_000, 93_600_000, 5_400_000, 45_000, 1_500, null].map(durationText)).toEqual(['2d', '26h', '90m', '45s', '1500ms', '']);
	});
});
