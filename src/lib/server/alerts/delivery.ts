/**
 * Delivery of notifications, by whichever instance claims them. A claim is one UPDATE over
 * `FOR UPDATE SKIP LOCKED` rows (instances never wait on each other and never take the same
 * row): status `sending`, attempts + 1, and `next_attempt_at` moved to the end of the claim, so
 * a row whose sender died is taken again once its claim has run out. The outcome is written
 * only while the claim is still the sender's (same attempt number). A failed attempt is tried
 * again after 1 s, 5 s, 30 s, 2 min, 10 min, then every hour, until 24 h after the event; then
 * it is `failed`. Each send ends within its timeout, well inside the claim: with live
 * instances, a notification is delivered once; only a sender that dies mid-request (after the
 * receiver got it, before the outcome was written) can make it arrive twice.
 *
 * While the database is away (outage.ts) nothing is claimed: wakes wait for the backoff (1 s,
 * 2 s, 4 s … at most 30 s apart) and one warning is logged per outage. An outcome that cannot be
 * written is tried again with that backoff as long as the claim holds, so a webhook sent just
 * before an outage is not sent again when the database is back within the claim.
 *
 * Webhooks go through the egress policy of http jobs (egress/dispatcher.ts) and carry the
 * notification's id (`X-Cronkit-Notification`) so a receiver can drop such a repeat. Email
 * goes through the outbox (email/outbox.ts), which makes its own attempts (at most 5): the
 * notification counts as delivered when the SMTP server accepted the message.
 */
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import type { Dispatcher } from 'undici';
import type { AlertEvent, NotificationStatus } from '../../names';
import { delay, type Clock, type Timer } from '../cron/clock';
import { describeNetworkError, egressAgent, undici } from '../egress/dispatcher';
import type { EgressPolicy } from '../egress/policy';
import { deliver as deliverEmail, queueEmail } from '../email/outbox';
import type { Mailer } from '../email/transport';
import type { SecretBox } from '../secrets/box';
import { channelTarget, type ChannelTarget } from './channels';
import { emailMessage, webhookBody, type AlertPayload } from './messages';
import { deliveredTotal } from './metrics';
import { Outage } from './outage';

export type DeliveryTiming = {
	/** Waits after the 1st, 2nd … failed attempt; the last one repeats. */
	backoffMs: number[];
	/** Past this age a notification that still fails is given up. */
	giveUpAfterMs: number;
	/** One attempt's limit (a receiver that does not answer). */
	sendTimeoutMs: number;
	/** How long a claim holds: longer than any attempt. */
	claimMs: number;
	/** Sends in flight at once, per instance. */
	concurrency: number;
};

export const DEFAULT_DELIVERY_TIMING: DeliveryTiming = {
	backoffMs: [1_000, 5_000, 30_000, 120_000, 600_000, 3_600_000],
	giveUpAfterMs: 24 * 3600_000,
	sendTimeoutMs: 10_000,
	claimMs: 60_000,
	concurrency: 16
};

/** The wait after the `attempts`-th failed attempt. */
export function backoffAfter(timing: Pick<DeliveryTiming, 'backoffMs'>, attempts: number): number {
	const b = timing.backoffMs;
	return b[Math.min(Math.max(attempts, 1), b.length) - 1]!;
}

type Claimed = {
	id: number;
	event: AlertEvent;
	payload: AlertPayload;
	attempts: number;
	createdAt: Date;
	emailId: number | null;
	channelId: string;
	/** When this instance claimed it (monotonic): the claim holds `claimMs` from there. */
	claimedAt: number;
	name: string;
	type: ChannelTarget['type'];
	format: ChannelTarget['format'] | null;
	url: string | null;
	to: string[] | null;
};

const CLAIMED_COLUMNS = `n.id, n.event, n.payload, n.attempts, n.created_at as "createdAt", n.email_id as "emailId", c.id as "channelId",
	c.name, c.type, c.format, c.url, c."to"`;

/** An attempt's result: delivered, or why not (and whether trying again is pointless). */
type Attempt = { ok: true } | { ok: false; error: string; final: boolean };

const ERROR_CHARS = 500;
const RESPONSE_SNIPPET = 200;

export type DeliveryDeps = {
	sql: Sql;
	log: Logger;
	clock: Clock;
	secrets: SecretBox;
	egress: EgressPolicy;
	/** The outbox's transport for email channels (default: the process's, from SMTP_URL). */
	mailer?: Mailer;
	timing?: Partial<DeliveryTiming>;
};

export class Deliveries {
	readonly timing: DeliveryTiming;
	private agent: Promise<Dispatcher> | null = null;
	private inFlight = 0;
	private looping: Promise<void> | null = null;
	private again = false;
	private timer: Timer | undefined;
	private running = false;
	private readonly outage: Outage;

	constructor(private readonly deps: DeliveryDeps) {
		this.timing = { ...DEFAULT_DELIVERY_TIMING, ...deps.timing };
		this.outage = new Outage({ log: deps.log, clock: deps.clock, what: 'notification delivery' });
	}

	get sending(): number {
		return this.inFlight;
	}

	start(): void {
		this.running = true;
		this.wake();
	}

	/** Stops claiming; waits (at most `ms`) for the sends in flight. */
	async stop(ms = 5_000): Promise<void> {
		this.running = false;
		this.deps.clock.clearTimeout(this.timer);
		const until = this.deps.clock.monotonic() + ms;
		while ((this.looping || this.inFlight) && this.deps.clock.monotonic() < until) await new Promise((r) => this.deps.clock.setTimeout(r as () => void, 20));
		const agent = this.agent;
		this.agent = null;
		await agent?.then((a) => a.close()).catch(() => undefined);
	}

	/**
	 * Claims and sends whatever is due now (new notifications, retries, expired claims). While
	 * the database does not answer, wakes wait for the backoff (at most 30 s apart).
	 */
	wake(): void {
		if (!this.running || this.outage.waitMs() > 0) return;
		if (this.looping) {
			this.again = true;
			return;
		}
		this.looping = this.loop()
			.then(() => this.outage.succeeded())
			.catch((err: unknown) => void this.outage.failed(err))
			.finally(() => {
				this.looping = null;
				if (this.again) {
					this.again = false;
					this.wake();
				} else void this.armNext();
			});
	}

	private async loop(): Promise<void> {
		const { timing } = this;
		for (;;) {
			this.again = false;
			const room = timing.concurrency - this.inFlight;
			if (room <= 0 || !this.running) return;
			const rows = await this.claim(room);
			for (const row of rows) {
				this.inFlight++;
				void this.attempt(row)
					.catch((err: unknown) => this.deps.log.error({ err, notification: row.id }, 'recording a delivery failed'))
					.finally(() => {
						this.inFlight--;
						this.wake();
					});
			}
			if (rows.length < room && !this.again) return;
		}
	}

	/** Sets the timer for the next row to fall due (a retry, a claim running out). */
	private async armNext(): Promise<void> {
		if (!this.running || this.inFlight >= this.timing.concurrency) return;
		if (this.outage.down) {
			this.armAt(this.outage.waitMs());
			return;
		}
		try {
			const [row] = await this.deps.sql<{ ms: number | null }[]>`
				select (extract(epoch from min(next_attempt_at) - now()) * 1000)::float8 as ms
				from notification where status in ('pending', 'sending')`;
			this.deps.clock.clearTimeout(this.timer);
			if (row?.ms == null || !this.running) return;
			// Capped: a row added meanwhile is announced anyway; the cap bounds a lost announcement.
			this.timer = this.deps.clock.setTimeout(() => this.wake(), Math.min(Math.max(0, row.ms) + 5, 60_000));
		} catch (err) {
			// The database does not answer: the next wake comes after the backoff.
			this.armAt(this.outage.failed(err));
		}
	}

	private armAt(ms: number): void {
		this.deps.clock.clearTimeout(this.timer);
		this.timer = this.deps.clock.setTimeout(() => this.wake(), ms);
	}

	private async claim(limit: number): Promise<Claimed[]> {
		const claimedAt = this.deps.clock.monotonic();
		const rows = await this.deps.sql.unsafe<Omit<Claimed, 'claimedAt'>[]>(
			`with due as (
				select id from notification
				where status in ('pending', 'sending') and next_attempt_at <= now()
				order by next_attempt_at, id
				limit $1
				for update skip locked
			)
			update notification n set status = 'sending', attempts = n.attempts + 1, last_attempt_at = now(),
				next_attempt_at = now() + make_interval(secs => $2::float8 / 1000)
			from due, notification_channel c
			where n.id = due.id and c.id = n.channel_id
			returning ${CLAIMED_COLUMNS}`,
			[limit, this.timing.claimMs] as never
		);
		return rows.map((r) => ({ ...r, claimedAt }));
	}

	/**
	 * Adds a notification already claimed by this instance and makes its one attempt now (a
	 * channel's **Send test**: the answer says whether it arrived; no retries).
	 */
	async sendOnce(channelId: string, payload: AlertPayload, dedupeKey: string): Promise<{ id: number; status: NotificationStatus }> {
		const claimedAt = this.deps.clock.monotonic();
		const [row] = await this.deps.sql.unsafe<Omit<Claimed, 'claimedAt'>[]>(
			`with n as (
				insert into notification (event, dedupe_key, channel_id, payload, status, attempts, last_attempt_at, next_attempt_at)
				values ($1, $2, $3, $4::jsonb, 'sending', 1, now(), now() + make_interval(secs => $5::float8 / 1000))
				returning *
			)
			select ${CLAIMED_COLUMNS} from n join notification_channel c on c.id = n.channel_id`,
			[payload.event, dedupeKey, channelId, payload, this.timing.claimMs] as never
		);
		if (!row) throw new Error(`channel ${channelId} vanished while its test was being sent`);
		this.inFlight++;
		try {
			return { id: Number(row.id), status: await this.attempt({ ...row, claimedAt }, false) };
		} finally {
			this.inFlight--;
		}
	}

	private async attempt(row: Claimed, retry = true): Promise<NotificationStatus> {
		let result: Attempt;
		try {
			const target = channelTarget(this.deps.secrets, { ...row, id: row.channelId });
			result = target.type === 'webhook' ? await this.sendWebhook(row, target) : await this.sendEmail(row, target);
		} catch (err) {
			result = { ok: false, error: err instanceof Error ? err.message : String(err), final: false };
		}
		return this.recordWhileClaimed(row, result, retry);
	}

	/**
	 * Writes an attempt's outcome; while the database does not answer, tries again with the
	 * backoff as long as the claim holds (a second before its end at the latest) and this sender
	 * runs. Past that the row is another sender's to take, and the error is thrown.
	 */
	private async recordWhileClaimed(row: Claimed, result: Attempt, retry: boolean): Promise<NotificationStatus> {
		const { clock } = this.deps;
		const until = row.claimedAt + this.timing.claimMs - 1_000;
		for (;;) {
			try {
				const status = await this.record(row, result, retry);
				this.outage.succeeded();
				return status;
			} catch (err) {
				const wait = this.outage.failed(err);
				if (!this.running || clock.monotonic() + wait > until) throw err;
				await delay(clock, wait);
			}
		}
	}

	private async record(row: Claimed, result: Attempt, retry: boolean): Promise<NotificationStatus> {
		const { sql, log } = this.deps;
		if (result.ok) {
			await sql`
				update notification set status = 'delivered', delivered_at = now(), last_error = null, next_attempt_at = now()
				where id = ${row.id} and status = 'sending' and attempts = ${row.attempts}`;
			deliveredTotal.inc({ event: row.event, result: 'delivered' });
			return 'delivered';
		}
		const wait = backoffAfter(this.timing, row.attempts);
		const error = result.error.slice(0, ERROR_CHARS);
		const [rec] = await sql<{ status: NotificationStatus }[]>`
			update notification set last_error = ${error}, next_attempt_at = now() + make_interval(secs => ${wait}::float8 / 1000),
				status = case when ${result.final || !retry}
					or created_at + make_interval(secs => ${this.timing.giveUpAfterMs}::float8 / 1000) < now() + make_interval(secs => ${wait}::float8 / 1000)
					then 'failed' else 'pending' end
			where id = ${row.id} and status = 'sending' and attempts = ${row.attempts}
			returning status`;
		const status = rec?.status ?? 'sending';
		deliveredTotal.inc({ event: row.event, result: status === 'failed' ? 'failed' : 'retry' });
		log.warn({ notification: row.id, channel: row.channelId, attempt: row.attempts, err: error, status }, 'notification delivery failed');
		return status;
	}

	private dispatcher(): Promise<Dispatcher> {
		this.agent ??= egressAgent(this.deps.egress);
		return this.agent;
	}

	private async sendWebhook(row: Claimed, target: ChannelTarget): Promise<Attempt> {
		const url = new URL(target.url ?? '');
		const headers: Record<string, string> = {
			'content-type': 'application/json',
			'user-agent': 'Cronkit',
			'x-cronkit-event': row.event,
			'x-cronkit-notification': String(row.id)
		};
		if (url.username || url.password) {
			const userinfo = decodeURIComponent(url.username) + (url.password ? `:${decodeURIComponent(url.password)}` : '');
			headers.authorization = `Basic ${Buffer.from(userinfo, 'utf8').toString('base64')}`;
			url.username = '';
			url.password = '';
		}
		// The URL is a secret: errors name the host only.
		const where = `POST ${url.protocol}//${url.host}`;
		const signal = AbortSignal.timeout(this.timing.sendTimeoutMs);
		let res: Dispatcher.ResponseData;
		try {
			const { request } = await undici();
			res = await request(url.href, { method: 'POST', headers, body: JSON.stringify(webhookBody(target.format, row.payload)), signal, dispatcher: await this.dispatcher() });
		} catch (err) {
			if (signal.aborted) return { ok: false, error: `${where}: timed out after ${this.timing.sendTimeoutMs} ms`, final: false };
			return { ok: false, error: `${where}: ${describeNetworkError(err)}`, final: false };
		}
		let snippet = '';
		try {
			snippet = (await res.body.text()).slice(0, RESPONSE_SNIPPET).trim();
		} catch {
			// the body is only for the error message
		}
		if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true };
		const status = `${res.statusCode} ${STATUS_CODES[res.statusCode] ?? ''}`.trim();
		return { ok: false, error: `${where}: HTTP ${status}${snippet ? `: ${snippet}` : ''}`, final: false };
	}

	/**
	 * Through the outbox: the first attempt queues the email (one message to every recipient),
	 * later ones ask the outbox to try its row again; the outbox's verdict decides.
	 */
	private async sendEmail(row: Claimed, target: ChannelTarget): Promise<Attempt> {
		const { sql, mailer } = this.deps;
		let emailId = row.emailId;
		if (emailId === null) {
			const { subject, text } = emailMessage(row.payload);
			emailId = await sql.begin(async (tx) => {
				const id = await queueEmail(tx, { to: target.to.join(', '), subject, text, kind: 'alert' });
				await tx`update notification set email_id = ${id} where id = ${row.id}`;
				return id;
			});
		}
		const outcome = await deliverEmail(sql, emailId, { mailer });
		const [email] = await sql<{ status: string; lastError: string | null }[]>`
			select status, last_error as "lastError" from email_outbox where id = ${emailId}`;
		if (outcome?.status === 'sent' || email?.status === 'sent') return { ok: true };
		if (!email) return { ok: false, error: `email #${emailId} is gone from the outbox`, final: true };
		const error = `email #${emailId}: ${outcome?.error ?? email.lastError ?? 'still being sent by the outbox'}`;
		return { ok: false, error, final: email.status === 'failed' };
	}
}
