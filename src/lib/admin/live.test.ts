import { describe, expect, it } from 'vitest';
import type { LiveMessage } from '$lib/live-message';
import { concerns } from './live.svelte';

const msg = (m: Partial<LiveMessage>): LiveMessage => ({ runs: [], jobs: [], all: false, settings: false, sessions: false, email: false, alerts: false, monitors: [], ...m });

describe('which live messages refresh a page', () => {
	it('cron pages: runs and jobs (of their job), not monitor pings', () => {
		expect(concerns(msg({ runs: [[1, 'a', 'running']], jobs: ['a'] }), 'cron', undefined)).toBe(true);
		expect(concerns(msg({ jobs: ['a'] }), 'cron', 'a')).toBe(true);
		expect(concerns(msg({ jobs: ['b'] }), 'cron', 'a')).toBe(false);
		expect(concerns(msg({ monitors: ['backups'] }), 'cron', undefined)).toBe(false);
		expect(concerns(msg({ monitors: ['backups'] }), 'cron', 'a')).toBe(false);
	});

	it('monitor pages: monitor news (of their monitor), not runs; settings and big batches refresh every page', () => {
		expect(concerns(msg({ monitors: ['backups'] }), 'monitors', undefined)).toBe(true);
		expect(concerns(msg({ monitors: ['backups'] }), 'monitors', 'backups')).toBe(true);
		expect(concerns(msg({ monitors: ['other'] }), 'monitors', 'backups')).toBe(false);
		expect(concerns(msg({ monitors: ['*'] }), 'monitors', 'backups')).toBe(true);
		expect(concerns(msg({ runs: [[1, 'a', 'running']], jobs: ['a'] }), 'monitors', undefined)).toBe(false);
		expect(concerns(msg({ all: true }), 'monitors', 'backups')).toBe(true);
		expect(concerns(msg({ settings: true }), 'cron', 'a')).toBe(true);
	});

	it('sessions and email pages: only their own news', () => {
		expect(concerns(msg({ monitors: ['backups'] }), 'sessions', undefined)).toBe(false);
		expect(concerns(msg({ sessions: true }), 'sessions', undefined)).toBe(true);
		expect(concerns(msg({ monitors: ['backups'], jobs: ['a'] }), 'email', undefined)).toBe(false);
		expect(concerns(msg({ alerts: true }), 'alerts', undefined)).toBe(true);
		expect(concerns(msg({ alerts: true }), 'monitors', undefined)).toBe(false);
		expect(concerns(msg({ email: true, monitors: ['backups'] }), 'alerts', undefined)).toBe(false);
	});
});
