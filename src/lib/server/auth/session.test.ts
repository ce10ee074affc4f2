import { describe, expect, it } from 'vitest';
import { SESSION_POLICY, sessionExpiresAt } from './session';

describe('session expiry', () => {
	const created = new Date('2025-01-01T00:00:00Z');
	const at = (ms: number) => new Date(created.getTime() + ms);
	const DAY = 86_400_000;

	it('ends after the inactivity timeout since the last verification', () => {
		expect(sessionExpiresAt({ createdAt: created, lastVerifiedAt: created })).toEqual(at(SESSION_POLICY.inactivityMs));
		expect(sessionExpiresAt({ createdAt: created, lastVerifiedAt: at(3 * DAY) })).toEqual(at(3 * DAY + SESSION_POLICY.inactivityMs));
	});

	it('never extends past the absolute lifetime', () => {
		expect(sessionExpiresAt({ createdAt: created, lastVerifiedAt: at(29 * DAY) })).toEqual(at(SESSION_POLICY.maxAgeMs));
	});

	it('uses a 7-day inactivity timeout, 30-day lifetime and hourly refresh', () => {
		expect(SESSION_POLICY).toEqual({ inactivityMs: 7 * DAY, maxAgeMs: 30 * DAY, refreshAfterMs: 3_600_000 });
	});
});
