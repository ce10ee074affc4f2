/**
 * Job alerts end to end: a real scheduler runs code jobs against a real PostgreSQL, the alert
 * service of the same instance judges their runs, and real HTTP receivers on loopback (and the
 * test SMTP server) get the notifications.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertService, ORIGIN } from '../../../../tests/helpers/alerts';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { startReceiver, type Receiver } from '../../../../tests/helpers/receiver';
import { eventually, finishedRun, instance, sleep, testSecrets, type Instance } from '../../../../tests/helpers/scheduler';
import { startSmtp, type TestSmtp } from '../../../../tests/helpers/smtp';
import * as ledger from '../cron/ledger';
import { defineJob, type RegisteredJob } from '../cron/types';
import { DEFAULT_HTTP_JOB_DENY, EgressPolicy } from '../egress/policy';
import { createMailer } from '../email/transport';
import { createChannel } from './channels';
import type { AlertService } from './service';

const QUIET = '0 0 1 1 *';
const actor = { name: 'admin@example.com' };
const egress = EgressPolicy.fromLists(DEFAULT_HTTP_JOB_DENY);

/** What each test job does on its next run: throw, succeed, or take a while first. */
const behaviour = new Map<string, { fail: boolean; sleepMs?: number }>();

const KEYS = ['boom', 'first', 'every', 'recover', 'retry', 'slow', 'lonely', 'fragile', 'flaky', 'mail', 'miss', 'race', 'muted', 'defaulted'];

const definitions: RegisteredJob[] = KEYS.map((key) =>
	defineJob({
		key,
		name: `Job ${key}`,
		schedule: QUIET,
		async handler({ signal }) {
			const b = behaviour.get(key) ?? { fail: false };
			if (b.sleepMs) await new Promise((r) => setTimeout(r, b.sleepMs).unref());
			signal.throwIfAborted();
			if (b.fail) throw new Error(`disk full on /var\n    at handler (${key}.ts:1:1)`);
			return { message: 'ok' };
		}
	})
);

type Notif = { id: number; event: string; status: string; attempts: number; channel_id: string; payload: { text: string }; last_error: string | null; dedupe_key: string };

describe('job alerts', () => {
	let t: TestDatabase;
	let a: Instance;
	let alerts: AlertService;
	let hook: Receiver;
	let slack: Receiver;
	let jsonId: string;
	let slackId: string;

	beforeAll(async () => {
		t = await createTestDatabase();
		a = instance(t, definitions, { name: 'alerts-a' });
		await a.scheduler.start();
		alerts = alertService(a.sql, { timing: { windowMs: 1_500 } });
		await alerts.start();
		hook = await startReceiver();
		slack = await startReceiver();
		jsonId = (await createChannel({ sql: a.sql, secrets: testSecrets, egress }, { type: 'webhook', name: 'Ops hook', url: hook.url }, actor)).id;
		slackId = (await createChannel({ sql: a.sql, secrets: testSecrets, egress }, { type: 'webhook', name: 'Slack', url: slack.url, format: 'slack' }, actor)).id;
	});
	afterAll(async () => {
		await alerts.stop();
		await a.scheduler.close();
		await hook.close();
		await slack.close();
		await t.drop();
	});

	/** Runs `key` once (failing or not) and waits for its final status. */
	async function run(key: string, fail: boolean, sleepMs?: number) {
		behaviour.set(key, { fail, sleepMs });
		const { id } = await a.service.trigger(key, 'manual', actor);
		return finishedRun(a.service, id);
	}

	const hitsFor = (r: Receiver, key: string) => r.hits.filter((h) => JSON.stringify(h.body).includes(`(${key})`));

	/** The job's notifications, rate-limit summaries left out. */
	async function notifications(key: string): Promise<Notif[]> {
		return a.sql<Notif[]>`
			select id, event, status, attempts, channel_id, payload, last_error, dedupe_key from notification
			where job_key = ${key} and dedupe_key not like 'summary:%' order by id`;
	}

	/** Waits until the inbox is empty and a pass has run since: nothing more will be raised for what ran. */
	async function settled() {
		await eventually(async () => (await a.sql`select 1 from alert_inbox limit 1`).length === 0);
		await sleep(300);
	}

	it('a failure sends exactly one webhook per channel, with the documented JSON', async () => {
		await a.service.updateSettings({ 'alerts.defaultChannels': [jsonId, slackId] }, actor);
		const runView = await run('boom', true);
		expect(runView.status).toBe('failed');
		await eventually(async () => hitsFor(hook, 'boom').length >= 1 && hitsFor(slack, 'boom').length >= 1).catch(async (err: Error) => {
			throw new Error(`${err.message}: hook ${hitsFor(hook, 'boom').length}, slack ${hitsFor(slack, 'boom').length}, rows ${JSON.stringify(await notifications('boom'))}, inbox ${JSON.stringify(await a.sql`select * from alert_inbox`)}`);
		});
		await settled();
		expect(hitsFor(hook, 'boom')).toHaveLength(1);
		expect(hitsFor(slack, 'boom')).toHaveLength(1);

		const [hit] = hitsFor(hook, 'boom');
		expect(Object.keys(hit!.body)).toEqual(['event', 'text', 'job', 'execution', 'at']);
		expect(Object.keys(hit!.body.job as object)).toEqual(['key', 'name', 'url']);
		expect(Object.keys(hit!.body.execution as object)).toEqual(['id', 'status', 'trigger', 'attempt', 'scheduledFor', 'startedAt', 'finishedAt', 'errorMessage', 'url']);
		expect(hit!.body).toEqual({
			event: 'failed',
			text: expect.any(String),
			job: { key: 'boom', name: 'Job boom', url: `${ORIGIN}/admin/cron/boom` },
			execution: {
				id: runView.id,
				status: 'failed',
				trigger: 'manual',
				attempt: 1,
				scheduledFor: null,
				startedAt: runView.startedAt,
				finishedAt: runView.finishedAt,
				errorMessage: 'disk full on /var\n    at handler (boom.ts:1:1)',
				url: `${ORIGIN}/admin/cron/boom/executions/${runView.id}`
			},
			at: runView.finishedAt
		});
		// The text names the job, what happened, when, the error's first line, and links the run.
		const text = hit!.body.text as string;
		expect(text).toMatch(/^Job "Job boom" \(boom\) failed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: disk full on \/var — /);
		expect(text).not.toContain('at handler');
		expect(text.endsWith(`${ORIGIN}/admin/cron/boom/executions/${runView.id}`)).toBe(true);
		expect(hit!.headers['content-type']).toBe('application/json');
		expect(hit!.headers['x-cronkit-event']).toBe('failed');
		expect(hitsFor(slack, 'boom')[0]!.body).toEqual({ text });

		const rows = await notifications('boom');
		expect(rows.map((r) => [r.event, r.status, r.attempts])).toEqual([
			['failed', 'delivered', 1],
			['failed', 'delivered', 1]
		]);
		await a.service.updateSettings({ 'alerts.defaultChannels': [] }, actor);
	});

	it('onFailure first alerts when a job goes from healthy to failing; every alerts each failure; never stays quiet', async () => {
		await a.service.updateJob('first', { alerts: { channels: [jsonId] } }, actor);
		await a.service.updateJob('every', { alerts: { channels: [jsonId], onFailure: 'every' } }, actor);
		for (let i = 0; i < 3; i++) {
			await run('first', true);
			await run('every', true);
		}
		await settled();
		expect((await notifications('first')).map((r) => r.event)).toEqual(['failed']);
		// One notification per failure (the rate limit holds the later ones for its summary).
		expect((await notifications('every')).map((r) => r.event)).toEqual(['failed', 'failed', 'failed']);

		// A success ends the failing streak: the next failure alerts again under `first`.
		await a.service.updateJob('first', { alerts: { channels: [jsonId], onRecovery: false } }, actor);
		await run('first', false);
		await run('first', true);
		await settled();
		expect((await notifications('first')).map((r) => r.event)).toEqual(['failed', 'failed']);

		await a.service.updateJob('first', { alerts: { channels: [jsonId], onFailure: 'never' } }, actor);
		await run('first', false);
		await run('first', true);
		await run('first', false);
		await settled();
		expect((await notifications('first')).map((r) => r.event)).toEqual(['failed', 'failed']);
	});

	it('channels: [] sends nothing; channels left out go to alerts.defaultChannels', async () => {
		await a.service.updateSettings({ 'alerts.defaultChannels': [slackId] }, actor);
		try {
			await a.service.updateJob('muted', { alerts: { channels: [] } }, actor);
			await run('muted', true);
			await run('defaulted', true);
			await settled();
			expect(await notifications('muted')).toEqual([]);
			expect((await notifications('defaulted')).map((r) => [r.event, r.channel_id])).toEqual([['failed', slackId]]);
		} finally {
			await a.service.updateSettings({ 'alerts.defaultChannels': [] }, actor);
		}
	});

	it('recovery: the first success after a failure sends `recovered`', async () => {
		await a.service.updateJob('recover', { alerts: { channels: [jsonId] } }, actor);
		await run('recover', true);
		await run('recover', true);
		const ok = await run('recover', false);
		await eventually(async () => hitsFor(hook, 'recover').some((h) => h.body.event === 'recovered'));
		await settled();
		const hits = hitsFor(hook, 'recover');
		expect(hits.map((h) => h.body.event)).toEqual(['failed', 'recovered']);
		const recovered = hits[1]!.body;
		expect(recovered.text).toMatch(new RegExp(`^Job "Job recover" \\(recover\\) recovered at .* UTC: run #${ok.id} succeeded after 2 failures — ${ORIGIN}/admin/cron/recover/executions/${ok.id}$`));
		expect((recovered.execution as { status: string }).status).toBe('succeeded');
	});

	it('a run whose retry is still pending does not alert; the last attempt does', async () => {
		await a.service.updateJob('retry', { maxRetries: 2, alerts: { channels: [jsonId] } }, actor);
		behaviour.set('retry', { fail: true });
		const { id } = await a.service.trigger('retry', 'manual', actor);
		await finishedRun(a.service, id);
		const last = await eventually(async () => {
			const [row] = await a.sql<{ id: number; status: string }[]>`
				select id, status from cron_job_execution where job_id = 'retry' and attempt = 3 and status = 'failed'`;
			return row;
		}, 30_000);
		await eventually(async () => hitsFor(hook, 'retry').length === 1, 15_000);
		await settled();
		const hits = hitsFor(hook, 'retry');
		expect(hits).toHaveLength(1);
		expect(hits[0]!.body.execution).toMatchObject({ id: last.id, attempt: 3, trigger: 'retry' });
		expect(hits[0]!.body.text).toContain('(attempt 3 of 3)');
		expect((await notifications('retry')).map((r) => r.event)).toEqual(['failed']);
	});

	it('slow: a run that passes maxDurationMs alerts while it is still running, once', async () => {
		await a.service.updateJob('slow', { alerts: { channels: [jsonId], maxDurationMs: 1_000 } }, actor);
		behaviour.set('slow', { fail: false, sleepMs: 3_000 });
		const { id } = await a.service.trigger('slow', 'manual', actor);
		await eventually(async () => hitsFor(hook, 'slow').length === 1, 10_000);
		const whileRunning = await a.service.getExecution(id);
		expect(whileRunning.status).toBe('running');
		const hit = hitsFor(hook, 'slow')[0]!;
		expect(hit.body.event).toBe('slow');
		expect(hit.body.text).toMatch(/^Job "Job slow" \(slow\) has been running for [\d.]+ s, longer than its limit of 1\.00 s/);
		// Within a couple of seconds of the deadline (started + 1 s), not at the run's end.
		expect(hit.at - new Date(whileRunning.startedAt!).getTime()).toBeLessThan(1_000 + 2_500);
		await finishedRun(a.service, id);
		await settled();
		expect(hitsFor(hook, 'slow')).toHaveLength(1);
	});

	it('no_success: no success within noSuccessWithinMs alerts once, and a success restarts the window', async () => {
		await a.service.updateJob('lonely', { alerts: { channels: [jsonId], onFailure: 'never', noSuccessWithinMs: 1_500 } }, actor);
		const changed = Date.now();
		await run('lonely', true);
		await eventually(async () => hitsFor(hook, 'lonely').some((h) => h.body.event === 'no_success'), 10_000);
		const hit = hitsFor(hook, 'lonely').find((h) => h.body.event === 'no_success')!;
		expect(hit.at - changed).toBeGreaterThanOrEqual(1_400);
		expect(hit.body.text).toMatch(/^Job "Job lonely" \(lonely\) has not succeeded within 1\.50 s \(since .*\); last run failed at .*: disk full on \/var/);
		await sleep(2_500);
		expect(hitsFor(hook, 'lonely').filter((h) => h.body.event === 'no_success')).toHaveLength(1);
		// A success starts a new window: after it, another 1.5 s without one alerts again.
		await run('lonely', false);
		await eventually(async () => hitsFor(hook, 'lonely').filter((h) => h.body.event === 'no_success').length === 2, 10_000);
	});

	it('autoDisableAfter N: the Nth consecutive failure disables the job, audited as system, with an auto_disabled alert', async () => {
		await a.service.updateJob('fragile', { autoDisableAfter: 3, alerts: { channels: [jsonId] } }, actor);
		await run('fragile', true);
		await run('fragile', true);
		await settled();
		expect((await a.service.getJob('fragile')).enabled).toBe(true);
		await run('fragile', true);
		await eventually(async () => hitsFor(hook, 'fragile').some((h) => h.body.event === 'auto_disabled'));
		const job = await a.service.getJob('fragile');
		expect(job.enabled).toBe(false);
		expect(job.updatedBy).toBe('system');
		const audits = await a.sql<{ actor: string; before: unknown; after: unknown }[]>`
			select actor, before, after from audit_log where action = 'job.auto_disable' and entity_id = 'fragile'`;
		expect(audits).toEqual([{ actor: 'system', before: { enabled: true }, after: { enabled: false, reason: '3 consecutive failures (autoDisableAfter)' } }]);
		const hit = hitsFor(hook, 'fragile').find((h) => h.body.event === 'auto_disabled')!;
		expect(hit.body.text).toMatch(/^Job "Job fragile" \(fragile\) was disabled at .* after 3 consecutive failures \(autoDisableAfter\): disk full on \/var/);
	});

	it('rate limit: one notification per job and channel a minute, then a summary; a recovery is never held back', async () => {
		await a.service.updateJob('flaky', { alerts: { channels: [jsonId], onFailure: 'every' } }, actor);
		for (let i = 0; i < 5; i++) await run('flaky', true);
		await eventually(async () => hitsFor(hook, 'flaky').length >= 1);
		// The window (1.5 s here, a minute by default) ends: one summary of the 4 held.
		await eventually(async () => hitsFor(hook, 'flaky').length === 2, 10_000);
		const [first, summary] = hitsFor(hook, 'flaky');
		expect(first!.body.event).toBe('failed');
		expect(summary!.body.event).toBe('failed');
		expect(summary!.body.text).toMatch(/^Job "Job flaky" \(flaky\): and 4 more failures since .* Latest: Job "Job flaky" \(flaky\) failed at .*: disk full on \/var — http:\/\/cronkit\.test\/admin\/cron\/flaky\/executions\/\d+$/);
		const rows = await notifications('flaky');
		expect(rows.filter((r) => r.status === 'held')).toHaveLength(4);

		// The summary opened a new window: failures now are held, and a success is sent at once,
		// saying what it replaced; no summary follows it.
		await run('flaky', true);
		await run('flaky', true);
		const t0 = Date.now();
		await run('flaky', false);
		await eventually(async () => hitsFor(hook, 'flaky').some((h) => h.body.event === 'recovered'));
		const recovered = hitsFor(hook, 'flaky').find((h) => h.body.event === 'recovered')!;
		expect(recovered.at - t0).toBeLessThan(1_500);
		expect(recovered.body.text).toContain('(before it: 2 more failures, not sent one by one)');
		await sleep(2_500);
		expect(hitsFor(hook, 'flaky').map((h) => h.body.event)).toEqual(['failed', 'failed', 'recovered']);
	});

	it('missed: a tick recorded missed alerts when onMissed is on', async () => {
		await a.service.updateJob('miss', { alerts: { channels: [jsonId], onMissed: true } }, actor);
		const at = new Date(Date.now() - 60_000);
		await ledger.recordUnrun(a.sql, [{ jobKey: 'miss', scheduledFor: at, status: 'missed', note: 'missed while the database did not answer (catch-up: skip)' }]);
		await eventually(async () => hitsFor(hook, 'miss').length === 1);
		const hit = hitsFor(hook, 'miss')[0]!;
		expect(hit.body.event).toBe('missed');
		expect(hit.body.text).toMatch(/^Job "Job miss" \(miss\) missed its run scheduled for .* UTC: missed while the database did not answer/);
		expect((hit.body.execution as { scheduledFor: string }).scheduledFor).toBe(at.toISOString());
	});

	describe('email channels', () => {
		let smtp: TestSmtp;
		let mailAlerts: AlertService;
		beforeAll(async () => {
			smtp = await startSmtp();
		});
		afterAll(async () => {
			await mailAlerts?.stop();
			await smtp.close();
		});

		it('go through the outbox; delivered once the SMTP server accepted the message', async () => {
			// This instance's senders use the test SMTP server.
			await alerts.stop();
			mailAlerts = alertService(a.sql, { mailer: createMailer({ smtpUrl: smtp.url, mailFrom: 'Cronkit <cronkit@test>', dataDir: '/nonexistent' }) });
			await mailAlerts.start();
			const channel = await createChannel({ sql: a.sql, secrets: testSecrets, egress }, { type: 'email', name: 'On call', to: ['oncall@example.com', 'lead@example.com'] }, actor);
			await a.service.updateJob('mail', { alerts: { channels: [channel.id] } }, actor);
			const failed = await run('mail', true);
			await eventually(async () => smtp.received.length === 1);
			const mail = smtp.received[0]!;
			expect(mail.to).toEqual(['oncall@example.com', 'lead@example.com']);
			expect(mail.subject).toBe('Cronkit: job mail failed');
			expect(mail.raw).toContain('disk full on /var');
			expect(mail.raw).toContain(`${ORIGIN}/admin/cron/mail/executions/${failed.id}`);
			const [row] = await eventually(async () => {
				const rows = await notifications('mail');
				return rows[0]?.status === 'delivered' ? rows : null;
			});
			expect(row!.attempts).toBe(1);
			const [email] = await a.sql<{ status: string; kind: string }[]>`select status, kind from email_outbox`;
			expect(email).toEqual({ status: 'sent', kind: 'alert' });
		});
	});
});

describe('delivery with the receiver down, two instances racing', () => {
	let t: TestDatabase;
	let a: Instance;
	let b: Instance;
	let alertsA: AlertService;
	let alertsB: AlertService;
	let hook: Receiver;

	beforeAll(async () => {
		t = await createTestDatabase();
		a = instance(t, definitions, { name: 'race-a' });
		b = instance(t, definitions, { name: 'race-b' });
		await a.scheduler.start();
		await b.scheduler.start();
		alertsA = alertService(a.sql);
		alertsB = alertService(b.sql);
		await Promise.all([alertsA.start(), alertsB.start()]);
		hook = await startReceiver();
	});
	afterAll(async () => {
		await Promise.all([alertsA.stop(), alertsB.stop()]);
		await Promise.all([a.scheduler.close(), b.scheduler.close()]);
		await hook.close();
		await t.drop();
	});

	it('is retried with backoff and delivered once when the receiver is back, never twice', async () => {
		const channel = await createChannel({ sql: a.sql, secrets: testSecrets, egress }, { type: 'webhook', name: 'Down for a while', url: hook.url }, actor);
		await a.service.updateJob('race', { alerts: { channels: [channel.id] } }, actor);
		await hook.down();
		behaviour.set('race', { fail: true });
		await finishedRun(a.service, (await a.service.trigger('race', 'manual', actor)).id);
		// Attempts fail while it is down (connection refused), and wait longer each time: three
		// recorded failures (status pending again, waiting for its backoff) before it comes back.
		const failing = await eventually(async () => {
			const [row] = await a.sql<Notif[]>`select id, event, status, attempts, last_error from notification where job_key = 'race'`;
			return row && row.attempts >= 3 && row.status === 'pending' ? row : null;
		}, 15_000);
		expect(failing.last_error).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED 127\.0\.0\.1:\d+$/);
		expect(hook.hits).toHaveLength(0);
		await hook.up();
		const delivered = await eventually(async () => {
			const [row] = await a.sql<Notif[]>`select id, status, attempts from notification where job_key = 'race'`;
			return row?.status === 'delivered' ? row : null;
		}, 15_000);
		await sleep(3_000);
		expect(hook.hits).toHaveLength(1);
		expect(hook.hits[0]!.headers['x-cronkit-notification']).toBe(String(delivered.id));
		expect(delivered.attempts).toBeGreaterThanOrEqual(4);
		const [count] = await a.sql<{ n: number }[]>`select count(*)::int as n from notification`;
		expect(count!.n).toBe(1);
	});
});
