import { describe, expect, it } from 'vitest';
import { backoffAfter, DEFAULT_DELIVERY_TIMING } from './delivery';
import { emailMessage, firstLine, heldCounts, jobEvent, monitorEvent, orderedPayload, summaryEvent, webhookBody, withHeld, type RunRef } from './messages';

const origin = 'https://cron.example.com';
const job = { key: 'nightly-report', name: 'Nightly report', timezone: 'Europe/Berlin' };
const run: RunRef = {
	id: 48213,
	status: 'timed_out',
	trigger: 'retry',
	attempt: 3,
	scheduledFor: null,
	startedAt: new Date('2026-03-30T00:30:01.120Z'),
	finishedAt: new Date('2026-03-30T00:30:04.310Z'),
	errorMessage: 'timed out after 3000 ms\n    at somewhere'
};

describe('alert texts', () => {
	it('a failure names the job, what happened, when (in its zone), the error\'s first line and the run\'s page', () => {
		const p = jobEvent(origin, job, { event: 'failed', run, maxRetries: 2 });
		expect(p.text).toBe(
			'Job "Nightly report" (nightly-report) timed out at 2026-03-30 02:30:04 GMT+2 (attempt 3 of 3): timed out after 3000 ms — https://cron.example.com/admin/cron/nightly-report/executions/48213'
		);
		expect(p.execution).toEqual({
			id: 48213,
			status: 'timed_out',
			trigger: 'retry',
			attempt: 3,
			scheduledFor: null,
			startedAt: '2026-03-30T00:30:01.120Z',
			finishedAt: '2026-03-30T00:30:04.310Z',
			errorMessage: 'timed out after 3000 ms\n    at somewhere',
			url: 'https://cron.example.com/admin/cron/nightly-report/executions/48213'
		});
		expect(p.job).toEqual({ key: 'nightly-report', name: 'Nightly report', url: 'https://cron.example.com/admin/cron/nightly-report' });
		expect(p.at).toBe('2026-03-30T00:30:04.310Z');
	});

	it('no_success links the job when there is no run, and says so', () => {
		const p = jobEvent(origin, job, { event: 'no_success', withinMs: 26 * 3600_000, since: new Date('2026-03-29T00:00:00Z'), last: null, at: new Date('2026-03-30T02:00:00Z') });
		expect(p.text).toBe('Job "Nightly report" (nightly-report) has not succeeded within 26 h 0 min (since 2026-03-29 01:00:00 GMT+1); no run since — https://cron.example.com/admin/cron/nightly-report');
		expect(p.execution).toBeUndefined();
	});

	it('monitors: down with the reason and the last ping, up with how long it was down', () => {
		const m = { key: 'db-backup', name: 'Database backup', status: 'down' as const, lastPingAt: new Date('2026-03-30T01:00:00Z'), timezone: null };
		const down = monitorEvent(origin, m, { event: 'monitor_down', reason: 'no ping within its period and grace time', at: new Date('2026-03-30T03:05:00Z') });
		expect(down.text).toBe(
			'Monitor "Database backup" (db-backup) is down since 2026-03-30 03:05:00 UTC: no ping within its period and grace time (last ping 2026-03-30 01:00:00 UTC) — https://cron.example.com/admin/monitors/db-backup'
		);
		const up = monitorEvent(origin, { ...m, status: 'up' }, { event: 'monitor_up', reason: 'a success ping arrived', at: new Date('2026-03-30T05:05:00Z'), downSince: new Date('2026-03-30T03:05:00Z') });
		expect(up.text).toContain('is up again at 2026-03-30 05:05:00 UTC after 2 h 0 min down: a success ping arrived');
		expect(Object.keys(orderedPayload(up))).toEqual(['event', 'text', 'monitor', 'at']);
	});

	it('the first line of an error, capped', () => {
		expect(firstLine('  boom \n stack')).toBe('boom');
		expect(firstLine('')).toBeNull();
		expect(firstLine('x'.repeat(400))).toHaveLength(300);
	});
});

describe('channel formats', () => {
	const p = jobEvent(origin, job, { event: 'failed', run, maxRetries: 2 });

	it('json: the documented keys in order; slack {text}; discord {content}, cut at 2,000 characters', () => {
		expect(Object.keys(webhookBody('json', p))).toEqual(['event', 'text', 'job', 'execution', 'at']);
		expect(webhookBody('slack', p)).toEqual({ text: p.text });
		expect(webhookBody('discord', p)).toEqual({ content: p.text });
		const long = { ...p, text: 'y'.repeat(5000) };
		expect((webhookBody('discord', long).content as string).length).toBe(2000);
	});

	it('email: a subject naming the job and event, the text and the link on its own line', () => {
		expect(emailMessage(p)).toEqual({
			subject: 'Cronkit: job nightly-report failed',
			text: 'Job "Nightly report" (nightly-report) timed out at 2026-03-30 02:30:04 GMT+2 (attempt 3 of 3): timed out after 3000 ms\n\nhttps://cron.example.com/admin/cron/nightly-report/executions/48213\n'
		});
	});
});

describe('the rate limit in words', () => {
	const p = jobEvent(origin, job, { event: 'failed', run, maxRetries: 2 });

	it('a summary: "and 41 more failures", about the latest', () => {
		expect(heldCounts({ failed: 41, slow: 1 })).toBe('41 more failures, 1 more slow run');
		const s = summaryEvent(p, { failed: 41 }, new Date('2026-03-30T00:30:00Z'), new Date('2026-03-30T00:31:00Z'));
		expect(s.text).toMatch(/^Job "Nightly report" \(nightly-report\): and 41 more failures since 2026-03-30 00:30:00 UTC \(not sent one by one: at most one alert a minute\)\. Latest: Job "Nightly report"/);
		expect(s.text.endsWith('— https://cron.example.com/admin/cron/nightly-report/executions/48213')).toBe(true);
		expect(s.at).toBe('2026-03-30T00:31:00.000Z');
	});

	it('a recovery that replaces held alerts says so, before its link', () => {
		const r = jobEvent(origin, job, { event: 'recovered', run: { ...run, status: 'succeeded', errorMessage: null }, failures: 2 });
		expect(withHeld(r, { failed: 3 }).text).toMatch(/succeeded after 2 failures \(before it: 3 more failures, not sent one by one\) — https:\/\//);
		expect(withHeld(r, {})).toBe(r);
	});
});

describe('delivery backoff', () => {
	it('1 s, 5 s, 30 s, 2 min, 10 min, then hourly', () => {
		expect([1, 2, 3, 4, 5, 6, 7, 30].map((n) => backoffAfter(DEFAULT_DELIVERY_TIMING, n))).toEqual([1_000, 5_000, 30_000, 120_000, 600_000, 3_600_000, 3_600_000, 3_600_000]);
		expect(DEFAULT_DELIVERY_TIMING.giveUpAfterMs).toBe(24 * 3600_000);
	});
});
