/**
 * The email outbox against a real SMTP server (smtp-server on 127.0.0.1) and a real
 * PostgreSQL: queued while SMTP is down and sent by email-retry once it is back, permanent
 * rejections failing after 5 attempts with every admin alerted, nothing ever sent twice.
 * "Last attempt over 1 h ago" is made true by moving last_attempt_at back in SQL.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { syncCodeJobs } from '../cron/jobs';
import { emailRetry } from './retry-job';
import { enqueueEmail, failedEmailCount, listOutbox, MAX_ATTEMPTS, queueEmail, retryDue, retryNow } from './outbox';
import { createMailer, setMailer, type Mailer } from './transport';
import { log } from '../log';
import { createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { instance } from '../../../../tests/helpers/scheduler';
import { freePort } from '../../../../tests/helpers/serve';
import { startSmtp, type TestSmtp } from '../../../../tests/helpers/smtp';

let t: TestDatabase;
let dataDir: string;
const servers: TestSmtp[] = [];
const mailers: Mailer[] = [];

const ADMINS = ['ops@example.com', 'boss@example.com'];

beforeAll(async () => {
	t = await createTestDatabase();
	dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-email-'));
	log.level = 'silent';
	for (const [i, email] of ADMINS.entries()) {
		await t.sql`insert into "user" (id, email, password_hash, role) values (${`admin-${i}`}, ${email}, 'x', 'admin')`;
	}
	await t.sql`insert into "user" (id, email, password_hash, role) values ('viewer-1', 'viewer@example.com', 'x', 'viewer')`;
});

afterEach(async () => {
	for (const m of mailers.splice(0)) m.close();
	await Promise.all(servers.splice(0).map((s) => s.close()));
	await t.sql`delete from email_outbox`;
});

afterAll(async () => {
	await t?.drop();
	if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

async function smtpServer(opts: Parameters<typeof startSmtp>[0] = {}): Promise<TestSmtp> {
	const s = await startSmtp(opts);
	servers.push(s);
	return s;
}

function smtpMailer(port: number): Mailer {
	const m = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, mailFrom: 'Cronkit <cronkit@example.com>', dataDir });
	mailers.push(m);
	return m;
}

type Row = { id: number; status: string; attempts: number; lastError: string | null; lastAttemptAt: Date | null; sentAt: Date | null; kind: string; to: string };
const row = async (id: number) =>
	(await t.sql<Row[]>`
		select id, status, attempts, last_error as "lastError", last_attempt_at as "lastAttemptAt", sent_at as "sentAt", kind, "to"
		from email_outbox where id = ${id}`)[0]!;

/** Moves every attempt back past email-retry's one-hour wait. */
const anHourLater = () => t.sql`update email_outbox set last_attempt_at = last_attempt_at - interval '61 minutes' where last_attempt_at is not null`;

describe('email outbox', () => {
	it('SMTP down → queued with the error → email-retry sends it once SMTP is back', async () => {
		const port = await freePort();
		const m = smtpMailer(port);
		const out = await enqueueEmail(t.sql, { to: 'user@example.com', subject: 'Welcome', text: 'Hello there', kind: 'test' }, { mailer: m });
		expect(out.status).toBe('pending');
		const queued = await row(out.id);
		expect(queued).toMatchObject({ status: 'pending', attempts: 1, sentAt: null });
		expect(queued.lastError).toMatch(/ECONNREFUSED/);
		expect(queued.lastAttemptAt).toBeInstanceOf(Date);

		const smtp = await smtpServer({ port });
		// not yet an hour since the last attempt: email-retry leaves it alone
		expect(await retryDue(t.sql, { mailer: m })).toMatchObject({ attempted: 0, sent: 0 });
		expect(smtp.received).toHaveLength(0);

		await anHourLater();
		expect(await retryDue(t.sql, { mailer: m })).toMatchObject({ attempted: 1, sent: 1, failed: 0 });
		expect(smtp.received).toHaveLength(1);
		expect(smtp.received[0]).toMatchObject({ to: ['user@example.com'], subject: 'Welcome', from: 'cronkit@example.com' });
		expect(smtp.received[0]!.raw).toContain('Hello there');
		expect(await row(out.id)).toMatchObject({ status: 'sent', attempts: 2, lastError: null, sentAt: expect.any(Date) });

		// sent is final: later runs send nothing
		await anHourLater();
		expect(await retryDue(t.sql, { mailer: m })).toMatchObject({ attempted: 0 });
		expect(smtp.received).toHaveLength(1);
	});

	it('a permanently rejected address: 5 attempts → failed, each admin alerted by email', async () => {
		const smtp = await smtpServer({ reject: /^nobody@/ });
		const m = smtpMailer(smtp.port);
		const { id } = await enqueueEmail(t.sql, { to: 'nobody@example.com', subject: 'Your key', text: 'k', kind: 'access_key' }, { mailer: m });
		expect(await row(id)).toMatchObject({ status: 'pending', attempts: 1 });
		expect((await row(id)).lastError).toMatch(/550|does not exist|rejected/i);
		for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
			await anHourLater();
			const s = await retryDue(t.sql, { mailer: m });
			expect(s.attempted).toBe(1);
			const r = await row(id);
			expect(r.attempts).toBe(attempt);
			expect(r.status).toBe(attempt < MAX_ATTEMPTS ? 'pending' : 'failed');
			expect(s.alerted).toBe(attempt < MAX_ATTEMPTS ? 0 : ADMINS.length);
		}
		// each admin got the alert at the SMTP server; the viewer did not
		const alerts = smtp.received.filter((r) => /could not be delivered/.test(r.subject));
		expect(alerts.flatMap((a) => a.to).sort()).toEqual([...ADMINS].sort());
		expect(alerts[0]!.raw).toContain('nobody@example.com');
		expect(smtp.received.some((r) => r.to.includes('viewer@example.com'))).toBe(false);
		const alertRows = await t.sql<Row[]>`select status, kind from email_outbox where kind = 'admin_alert'`;
		expect(alertRows).toEqual(ADMINS.map(() => ({ status: 'sent', kind: 'admin_alert' })));
		// the banner's figure
		expect(await failedEmailCount(t.sql)).toBe(1);
		// failed is final for email-retry
		await anHourLater();
		expect(await retryDue(t.sql, { mailer: m })).toMatchObject({ attempted: 0, alerted: 0 });
	});

	it('never alerts about alert emails (no recursion when the admins\' own addresses fail)', async () => {
		const smtp = await smtpServer({ reject: /@example\.com$/ });
		const m = smtpMailer(smtp.port);
		await t.sql`
			insert into email_outbox ("to", subject, text, kind, attempts, last_attempt_at, last_error)
			values ('ops@example.com', 'Cronkit: 1 email could not be delivered', 'x', 'admin_alert', 4, now() - interval '2 hours', '550')`;
		const s = await retryDue(t.sql, { mailer: m });
		expect(s).toMatchObject({ attempted: 1, failed: 1, alerted: 0 });
		expect(await scalar<number>(t.sql`select count(*)::int from email_outbox`)).toBe(1);
	});

	it('nothing is ever sent twice: two email-retry runs at once take disjoint emails', async () => {
		const smtp = await smtpServer();
		const N = 40;
		await t.sql`
			insert into email_outbox ("to", subject, text, kind, attempts, last_attempt_at, last_error)
			select 'bulk' || g || '@example.com', 'Bulk #' || g, 'body ' || g, 'test', 1, now() - interval '2 hours', 'connect ECONNREFUSED'
			from generate_series(1, ${N}::int) g`;
		// two "instances": separate pools and mailers
		const [a, b] = [t.pool(4), t.pool(4)];
		const [ra, rb] = await Promise.all([retryDue(a, { mailer: smtpMailer(smtp.port) }), retryDue(b, { mailer: smtpMailer(smtp.port) })]);
		expect(ra.sent + rb.sent).toBe(N);
		expect(ra.attempted + rb.attempted).toBe(N);
		expect(smtp.received).toHaveLength(N);
		expect(new Set(smtp.received.map((r) => r.subject)).size).toBe(N);
		const counts = await t.sql`select status, attempts, count(*)::int as n from email_outbox group by 1, 2`;
		expect(counts).toEqual([{ status: 'sent', attempts: 2, n: N }]);
		// and again, concurrently with the immediate send of a new email
		await anHourLater();
		const [c, d, fresh] = await Promise.all([
			retryDue(a, { mailer: smtpMailer(smtp.port) }),
			retryDue(b, { mailer: smtpMailer(smtp.port) }),
			enqueueEmail(t.sql, { to: 'fresh@example.com', subject: 'Fresh', text: 'x', kind: 'test' }, { mailer: smtpMailer(smtp.port) })
		]);
		// the fresh email goes out once: by its immediate attempt, or by a run that claimed it first
		expect(fresh.status === 'sent' ? c.sent + d.sent : 1 - c.sent - d.sent).toBe(0);
		expect(smtp.received).toHaveLength(N + 1);
		expect(smtp.received.filter((r) => r.subject === 'Fresh')).toHaveLength(1);
	});

	it('an attempt that never reported back is not resent: failed ("outcome unknown") and alerted', async () => {
		const smtp = await smtpServer();
		const m = smtpMailer(smtp.port);
		const [{ id }] = await t.sql<[{ id: number }]>`
			insert into email_outbox ("to", subject, text, kind, attempts, last_attempt_at)
			values ('lost@example.com', 'Lost', 'x', 'test', 1, now() - interval '2 hours') returning id`;
		const s = await retryDue(t.sql, { mailer: m });
		expect(s).toMatchObject({ attempted: 0, gaveUp: 1, alerted: ADMINS.length });
		const r = await row(id);
		expect(r.status).toBe('failed');
		expect(r.lastError).toMatch(/outcome unknown/);
		expect(smtp.received.filter((x) => x.to.includes('lost@example.com'))).toHaveLength(0);
	});

	it('gives up on emails older than 24 hours; leaves fresh in-flight ones alone', async () => {
		const smtp = await smtpServer();
		const m = smtpMailer(smtp.port);
		const [old] = await t.sql<{ id: number }[]>`
			insert into email_outbox ("to", subject, text, kind, attempts, last_attempt_at, last_error, created_at)
			values ('old@example.com', 'Old', 'x', 'test', 2, now() - interval '2 hours', 'timeout', now() - interval '25 hours') returning id`;
		const [inflight] = await t.sql<{ id: number }[]>`
			insert into email_outbox ("to", subject, text, kind, attempts, last_attempt_at)
			values ('busy@example.com', 'Busy', 'x', 'test', 1, now()) returning id`;
		const s = await retryDue(t.sql, { mailer: m });
		expect(s).toMatchObject({ attempted: 0, gaveUp: 1 });
		expect((await row(old!.id)).lastError).toMatch(/timeout — not delivered within 24 hours/);
		expect(await row(inflight!.id)).toMatchObject({ status: 'pending', attempts: 1 });
		expect(smtp.received.filter((x) => /^(Old|Busy)$/.test(x.subject))).toHaveLength(0);
	});

	it('Retry now: a failed email goes back to pending and is sent at once', async () => {
		const smtp = await smtpServer();
		const m = smtpMailer(smtp.port);
		const [{ id }] = await t.sql<[{ id: number }]>`
			insert into email_outbox ("to", subject, text, kind, status, attempts, last_attempt_at, last_error)
			values ('again@example.com', 'Again', 'x', 'test', 'failed', 5, now() - interval '3 hours', '550') returning id`;
		const out = await retryNow(t.sql, id, { name: 'admin@example.com' }, { mailer: m });
		expect(out.status).toBe('sent');
		expect(await row(id)).toMatchObject({ status: 'sent', attempts: 6, lastError: null });
		expect(smtp.received.map((r) => r.subject)).toEqual(['Again']);
		await expect(retryNow(t.sql, id, { name: 'admin' }, { mailer: m })).rejects.toMatchObject({ status: 409 });
		await expect(retryNow(t.sql, 999_999, { name: 'admin' }, { mailer: m })).rejects.toMatchObject({ status: 404 });
		const audit = await scalar<number>(t.sql`select count(*)::int from audit_log where action = 'email.retry' and entity_id = ${String(id)}`);
		expect(audit).toBe(1);
	});

	it('email-retry as a scheduled job: reports what it did in the run output and metrics', async () => {
		const smtp = await smtpServer();
		// the job uses the process's mailer
		setMailer(createMailer({ smtpUrl: smtp.url, mailFrom: 'cronkit@example.com', dataDir }));
		const inst = instance(t, [emailRetry]);
		try {
			await syncCodeJobs(inst.sql, [emailRetry]);
			await t.sql`
				insert into email_outbox ("to", subject, text, kind, attempts, last_attempt_at, last_error)
				values ('job@example.com', 'From the job', 'x', 'test', 1, now() - interval '2 hours', 'ECONNREFUSED')`;
			const { id, status } = await inst.scheduler.runNow('email-retry', 'test');
			expect(status).toBe('succeeded');
			const [run] = await t.sql<{ output: string; result: { metrics: { sent: number } } }[]>`select output, result from cron_job_execution where id = ${id}`;
			expect(run!.output).toMatch(/attempted 1: 1 sent/);
			expect(run!.result.metrics.sent).toBe(1);
			expect(smtp.received.map((r) => r.subject)).toEqual(['From the job']);
		} finally {
			setMailer(undefined);
			await inst.scheduler.close(1000);
		}
	});

	it('without SMTP_URL each email is an .eml file under DATA_DIR/mail', async () => {
		const m = createMailer({ mailFrom: 'Cronkit <cronkit@example.com>', dataDir });
		mailers.push(m);
		const out = await enqueueEmail(t.sql, { to: 'dev@example.com', subject: 'Dev drop', text: 'In a file', kind: 'test' }, { mailer: m });
		expect(out.status).toBe('sent');
		const files = await fs.readdir(path.join(dataDir, 'mail'));
		const file = files.find((f) => f.endsWith(`-${out.id}.eml`));
		expect(file).toBeDefined();
		const eml = await fs.readFile(path.join(dataDir, 'mail', file!), 'utf8');
		expect(eml).toMatch(/^From: Cronkit <cronkit@example.com>$/m);
		expect(eml).toMatch(/^To: dev@example.com$/m);
		expect(eml).toMatch(/^Subject: Dev drop$/m);
		expect(eml).toContain('In a file');
	});

	it('lists the outbox newest first, by status, without bodies', async () => {
		const m = createMailer({ mailFrom: 'x@example.com', dataDir });
		mailers.push(m);
		for (let i = 0; i < 3; i++) await queueEmail(t.sql, { to: `l${i}@example.com`, subject: `L${i}`, text: 'secret body', kind: 'test' });
		await t.sql`update email_outbox set status = 'failed', attempts = 5, last_error = 'nope' where subject = 'L1'`;
		const all = await listOutbox(t.sql);
		expect(all.rows.map((r) => r.subject)).toEqual(['L2', 'L1', 'L0']);
		expect(JSON.stringify(all)).not.toContain('secret body');
		const failed = await listOutbox(t.sql, { status: 'failed' });
		expect(failed.rows.map((r) => r.subject)).toEqual(['L1']);
		expect((await listOutbox(t.sql, { before: all.rows[0]!.id })).rows.map((r) => r.subject)).toEqual(['L1', 'L0']);
	});
});
