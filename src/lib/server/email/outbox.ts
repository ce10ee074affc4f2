/**
 * The email outbox (README, "Email"): every email is a row of `email_outbox` first, then sent.
 *
 * Delivery is at most once. SMTP is not transactional, so a row is never "sent inside" a
 * transaction; instead an attempt first claims its row in one UPDATE (attempts + 1,
 * last_attempt_at = now(), last_error = null), which only matches a row that nobody holds,
 * then talks to the transport, then records the outcome (`sent`, or last_error set). So:
 * - two instances never send the same row at once: the claim is a single conditional UPDATE
 *   (row-locked; the batch claim of `email-retry` adds FOR UPDATE SKIP LOCKED), and a claimed
 *   row stops matching every claim predicate;
 * - a pending row with attempts > 0 and no last_error is an attempt in flight; if its process
 *   died mid-send the message may or may not have left, so it is never resent automatically:
 *   `email-retry` marks it `failed` ("outcome unknown") an hour later and admins are alerted;
 *   **Retry now** lets an admin decide to send it again.
 * Secrets in a body (an access key) are written as `secretPart(value)` and redacted from the
 * stored text once the email is sent, so the outbox does not keep plain keys.
 */
import type { Sql } from 'postgres';
import type { Queryable } from '../db';
import type { EmailStatus } from '../db/schema';
import { audit } from '../audit';
import type { Actor } from '../audit/actor';
import { ServiceError, notFound } from '../errors';
import { log } from '../log';
import { emailFailures, emailsSent } from './metrics';
import { mailer as defaultMailer, type Mailer } from './transport';

export const MAX_ATTEMPTS = 5;
/** `email-retry` resends a row only this long after its last attempt… */
export const RETRY_AFTER = '1 hour';
/** …and only rows this recent; older pending rows are given up (failed). */
export const RETRY_WINDOW = '24 hours';
/** Past any transport timeout: an unrecorded attempt older than this is not in flight anymore. */
const IN_FLIGHT = '5 minutes';
/** Claimed and sent together by `email-retry`; small, so a stop mid-run strands little. */
const BATCH = 5;
const ERROR_CHARS = 1000;
const UNKNOWN_OUTCOME =
	'outcome unknown: the process sending it stopped before recording the result; not resent automatically so it cannot arrive twice';

export type NewEmail = { to: string; subject: string; text: string; kind: string };

export type OutboxRow = {
	id: number;
	to: string;
	subject: string;
	kind: string;
	status: EmailStatus;
	attempts: number;
	lastAttemptAt: Date | null;
	lastError: string | null;
	createdAt: Date;
	sentAt: Date | null;
};

type Claimed = { id: number; to: string; subject: string; text: string; kind: string; attempts: number };

export type Outcome = { id: number; status: EmailStatus; error: string | null };

const SECRET_OPEN = '[[secret:';
const SECRET_RE = /\[\[secret:([^\]]*)\]\]/g;

/** Marks a secret inside an email body: sent as is, redacted from the outbox once sent. */
export function secretPart(value: string): string {
	if (value.includes(']')) throw new Error('a secret part cannot contain "]"');
	return `${SECRET_OPEN}${value}]]`;
}

/** The body as sent (secret markers removed). */
export const renderText = (text: string) => text.replace(SECRET_RE, '$1');

/** Adds a pending row, in the caller's transaction when given one. Returns its id. */
export async function queueEmail(sql: Queryable, e: NewEmail): Promise<number> {
	const [row] = await sql<{ id: number }[]>`
		insert into email_outbox ("to", subject, text, kind) values (${e.to}, ${e.subject}, ${e.text}, ${e.kind}) returning id`;
	return row!.id;
}

/** Queues an email and tries to send it at once; a failed attempt is left to `email-retry`. */
export async function enqueueEmail(sql: Sql, e: NewEmail, opts: { mailer?: Mailer } = {}): Promise<Outcome> {
	const id = await queueEmail(sql, e);
	return (await deliver(sql, id, opts)) ?? { id, status: 'pending', error: null };
}

const CLAIMED = (sql: Sql) => sql`id, "to", subject, text, kind, attempts`;

/**
 * Claims a pending row that nobody holds and sends it (the attempt right after queueing).
 * Returns null when the row was not claimable (sent, failed, or held by another attempt).
 */
export async function deliver(sql: Sql, id: number, opts: { mailer?: Mailer } = {}): Promise<Outcome | null> {
	const [row] = await sql<Claimed[]>`
		update email_outbox set attempts = attempts + 1, last_attempt_at = now(), last_error = null
		where id = ${id} and status = 'pending' and attempts < ${MAX_ATTEMPTS} and (attempts = 0 or last_error is not null)
		returning ${CLAIMED(sql)}`;
	return row ? attempt(sql, row, opts.mailer ?? defaultMailer()) : null;
}

function errorText(err: unknown): string {
	const e = err as { message?: unknown; response?: unknown };
	const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
	return (message || 'unknown error').slice(0, ERROR_CHARS);
}

/** Sends a claimed row and records the outcome; never throws for a transport failure. */
async function attempt(sql: Sql, row: Claimed, m: Mailer): Promise<Outcome> {
	try {
		await m.send({ id: row.id, to: row.to, subject: row.subject, text: renderText(row.text), kind: row.kind });
	} catch (err) {
		const error = errorText(err);
		emailFailures.inc();
		const [rec] = await sql<{ status: EmailStatus }[]>`
			update email_outbox set last_error = ${error},
				status = case when attempts >= ${MAX_ATTEMPTS} then 'failed' else 'pending' end
			where id = ${row.id} returning status`;
		log.warn({ emailId: row.id, kind: row.kind, attempt: row.attempts, err: error }, 'email delivery failed');
		return { id: row.id, status: rec?.status ?? 'pending', error };
	}
	emailsSent.inc();
	await sql`
		update email_outbox set status = 'sent', sent_at = now(), last_error = null,
			text = regexp_replace(text, '\\[\\[secret:[^]]*\\]\\]', '[redacted once sent]', 'g')
		where id = ${row.id}`;
	return { id: row.id, status: 'sent', error: null };
}

type FailedRow = { id: number; to: string; subject: string; kind: string; lastError: string | null };

export type RetrySummary = { attempted: number; sent: number; stillPending: number; failed: number; gaveUp: number; alerted: number };

/**
 * `email-retry`: gives up on rows past the window or whose last attempt never reported, then
 * claims due rows in small batches (FOR UPDATE SKIP LOCKED: concurrent runs take disjoint
 * rows) and sends them; rows that reach `failed` in this run are reported to every admin.
 */
export async function retryDue(sql: Sql, opts: { mailer?: Mailer; signal?: AbortSignal } = {}): Promise<RetrySummary> {
	const m = opts.mailer ?? defaultMailer();
	const summary: RetrySummary = { attempted: 0, sent: 0, stillPending: 0, failed: 0, gaveUp: 0, alerted: 0 };
	const newlyFailed: FailedRow[] = [];

	const given = await sql<FailedRow[]>`
		update email_outbox set status = 'failed',
			last_error = case when created_at <= now() - ${RETRY_WINDOW}::interval
				then coalesce(last_error || ' — ', '') || ${`not delivered within ${RETRY_WINDOW}: given up`}
				else ${UNKNOWN_OUTCOME} end
		where status = 'pending' and (
			created_at <= now() - ${RETRY_WINDOW}::interval
			or (attempts > 0 and last_error is null and last_attempt_at < now() - ${RETRY_AFTER}::interval))
		returning id, "to", subject, kind, last_error as "lastError"`;
	summary.gaveUp = given.length;
	newlyFailed.push(...given);

	for (;;) {
		opts.signal?.throwIfAborted();
		const rows = await sql<Claimed[]>`
			with due as (
				select id from email_outbox
				where status = 'pending' and attempts < ${MAX_ATTEMPTS}
					and created_at > now() - ${RETRY_WINDOW}::interval
					and (attempts = 0 or last_error is not null)
					and (last_attempt_at is null or last_attempt_at < now() - ${RETRY_AFTER}::interval)
				order by created_at limit ${BATCH}
				for update skip locked
			)
			update email_outbox o set attempts = o.attempts + 1, last_attempt_at = now(), last_error = null
			from due where o.id = due.id
			returning o.id, o."to", o.subject, o.text, o.kind, o.attempts`;
		if (!rows.length) break;
		const outcomes = await Promise.all(rows.map((r) => attempt(sql, r, m)));
		for (const [i, o] of outcomes.entries()) {
			summary.attempted++;
			if (o.status === 'sent') summary.sent++;
			else if (o.status === 'pending') summary.stillPending++;
			else {
				summary.failed++;
				const r = rows[i]!;
				newlyFailed.push({ id: r.id, to: r.to, subject: r.subject, kind: r.kind, lastError: o.error });
			}
		}
	}

	// Never alert about alerts: a failing alert would otherwise beget alerts.
	const reportable = newlyFailed.filter((f) => f.kind !== 'admin_alert');
	if (reportable.length) summary.alerted = await alertAdmins(sql, reportable, m);
	return summary;
}

/** One email per admin listing the emails that failed (never their bodies). Returns how many. */
async function alertAdmins(sql: Sql, failed: FailedRow[], m: Mailer): Promise<number> {
	const admins = await sql<{ email: string }[]>`select email from "user" where role = 'admin' order by email`;
	const n = failed.length;
	const subject = `Cronkit: ${n} email${n === 1 ? '' : 's'} could not be delivered`;
	const shown = failed.slice(0, 50);
	const text = [
		`${n} email${n === 1 ? ' has' : 's have'} failed for good after ${MAX_ATTEMPTS} attempts (or could not be retried):`,
		'',
		...shown.map((f) => `- #${f.id} to ${f.to}: "${f.subject}" (${f.kind})\n  ${f.lastError ?? 'no error recorded'}`),
		...(n > shown.length ? [`… and ${n - shown.length} more.`] : []),
		'',
		'Check the SMTP settings (SMTP_URL) and the addresses, then use "Retry now" on /admin/email.'
	].join('\n');
	for (const admin of admins) await enqueueEmail(sql, { to: admin.email, subject, text, kind: 'admin_alert' }, { mailer: m });
	log.warn({ failed: n, admins: admins.length }, 'emails failed for good: admins alerted');
	return admins.length;
}

/**
 * **Retry now** on /admin/email: a failed row goes back to pending and is sent at once; a
 * pending row is sent at once unless an attempt may still be in flight.
 */
export async function retryNow(sql: Sql, id: number, actor: Actor, opts: { mailer?: Mailer } = {}): Promise<Outcome> {
	const [row] = await sql<Claimed[]>`
		update email_outbox set status = 'pending', attempts = attempts + 1, last_attempt_at = now(), last_error = null
		where id = ${id} and (status = 'failed' or (status = 'pending'
			and not (attempts > 0 and last_error is null and last_attempt_at > now() - ${IN_FLIGHT}::interval)))
		returning ${CLAIMED(sql)}`;
	if (!row) {
		const [existing] = await sql<{ status: EmailStatus }[]>`select status from email_outbox where id = ${id}`;
		if (!existing) throw notFound(`email #${id}`);
		const why = existing.status === 'sent' ? 'it was already sent' : 'a delivery attempt is in progress';
		throw new ServiceError(409, 'conflict', `email #${id} cannot be retried now: ${why}`);
	}
	await audit(sql, { actor: actor.name, action: 'email.retry', entity: 'email_outbox', entityId: String(id), before: { attempts: row.attempts - 1 } });
	return attempt(sql, row, opts.mailer ?? defaultMailer());
}

/** For the admin banner: emails that failed for good in the last 24 hours. */
export async function failedEmailCount(sql: Sql): Promise<number> {
	const [row] = await sql<{ n: number }[]>`
		select count(*)::int as n from email_outbox
		where status = 'failed' and coalesce(last_attempt_at, created_at) > now() - interval '24 hours'`;
	return row?.n ?? 0;
}

export const PAGE_SIZE = 50;

/**
 * /admin/email: newest first, optionally one status, keyset-paginated by id. Bodies stay out.
 * The order says `nulls last` with a status, as (status, id desc nulls last) does, so that index
 * serves it; without one the primary key does, in its own (plain) order.
 */
export async function listOutbox(sql: Sql, filter: { status?: EmailStatus; before?: number } = {}): Promise<{ rows: OutboxRow[]; nextBefore: number | null }> {
	const rows = await sql<OutboxRow[]>`
		select id, "to", subject, kind, status, attempts, last_attempt_at as "lastAttemptAt", last_error as "lastError",
			created_at as "createdAt", sent_at as "sentAt"
		from email_outbox
		where true
			${filter.status ? sql`and status = ${filter.status}` : sql``}
			${filter.before ? sql`and id < ${filter.before}` : sql``}
		order by id ${filter.status ? sql`desc nulls last` : sql`desc`} limit ${PAGE_SIZE + 1}`;
	const more = rows.length > PAGE_SIZE;
	const page = more ? rows.slice(0, PAGE_SIZE) : rows;
	return { rows: page, nextBefore: more ? page[page.length - 1]!.id : null };
}

export async function outboxCounts(sql: Sql): Promise<Record<EmailStatus, number>> {
	const rows = await sql<{ status: EmailStatus; n: number }[]>`select status, count(*)::int as n from email_outbox group by status`;
	const out: Record<EmailStatus, number> = { pending: 0, sent: 0, failed: 0 };
	for (const r of rows) out[r.status] = r.n;
	return out;
}
