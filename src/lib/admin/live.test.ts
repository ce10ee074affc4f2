import { describe, expect, it } from 'vitest';
import { concerns, type LiveMessage } from './live.svelte';

const msg = (m: Partial<LiveMessage>): LiveMessage => ({ runs: [], jobs: [], all: false, settings: false, monitors: [], ...m });

describe('which live messages refresh a page', () => {
	it('cron pages: runs and jobs (of their job), not monitor pings', () => {
		expect(concerns(msg({ runs: [[1, 'a', 'running']], jobs: ['a'] }), {})).toBe(true);
		expect(concerns(msg({ jobs: ['a'] }), { job: () => 'a' })).toBe(true);
		expect(concerns(msg({ jobs: ['b'] }), { job: () => 'a' })).toBe(false);
		expect(concerns(msg({ monitors: ['backups'] }), {})).toBe(false);
		expect(concerns(msg({ monitors: ['backups'] }), { job: () => 'a' })).toBe(false);
	});

	it('monitor pages: monitor news (of their monitor), not runs; settings and big batches refresh every page', () => {
		expect(concerns(msg({ monitors: ['backups'] }), { monitor: () => undefined })).toBe(true);
		expect(concerns(msg({ monitors: ['backups'] }), { monitor: () => 'backups' })).toBe(true);
		expect(concerns(msg({ monitors: ['other'] }), { monitor: () => 'backups' })).toBe(false);
		expect(concerns(msg({ monitors: ['*'] }), { monitor: () => 'backups' })).toBe(true);
		expect(concerns(msg({ runs: [[1, 'a', 'running']], jobs: ['a'] }), { monitor: () => undefined })).toBe(false);
		expect(concerns(msg({ all: true }), { monitor: () => 'backups' })).toBe(true);
		expect(concerns(msg({ settings: true }), { job: () => 'a' })).toBe(true);
	});
});
