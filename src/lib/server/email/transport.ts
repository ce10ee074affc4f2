/**
 * How an email leaves (README, "Email"): SMTP through nodemailer when SMTP_URL is set, else an `.eml`
 * file under DATA_DIR/mail (the dev mail drop), logged without its body.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Transporter } from 'nodemailer';
import { parseConfig } from '../config';
import { log } from '../log';

export type OutgoingEmail = { id: number; to: string; subject: string; text: string; kind: string };

export type Mailer = {
	/** `smtp` or `file`, for logs and the outbox page. */
	readonly kind: 'smtp' | 'file';
	/** Resolves once the message is accepted (SMTP) or written (file); rejects otherwise. */
	send(email: OutgoingEmail): Promise<void>;
	close(): void;
};

export type MailerOptions = { smtpUrl?: string; mailFrom: string; dataDir: string };

/**
 * Bounded waits: a send holds its outbox row's lease and, on the create-key path, the
 * caller's response; a hanging server must fail the attempt, not stall it.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * A nodemailer transport made at the first send: nodemailer is loaded then, so a process that
 * sends no email does not hold it in memory (docs/architecture.md, "Idle cost").
 */
function lazyTransport(options: object, defaults: object): { get(): Promise<Transporter>; close(): void } {
	let transport: Promise<Transporter> | null = null;
	return {
		get: () => (transport ??= import('nodemailer').then(({ createTransport }) => createTransport(options, defaults))),
		close: () => void transport?.then((t) => t.close()).catch(() => undefined)
	};
}

export function createMailer(opts: MailerOptions): Mailer {
	return opts.smtpUrl ? smtpMailer(opts.smtpUrl, opts.mailFrom) : fileMailer(path.join(opts.dataDir, 'mail'), opts.mailFrom);
}

function smtpMailer(url: string, from: string): Mailer {
	const transport = lazyTransport({ url, ...SMTP_TIMEOUTS }, { from });
	return {
		kind: 'smtp',
		async send(email) {
			await (await transport.get()).sendMail({ to: email.to, subject: email.subject, text: email.text });
		},
		close: () => transport.close()
	};
}

function fileMailer(dir: string, from: string): Mailer {
	// nodemailer composes the RFC 822 message; we only write it out.
	const transport = lazyTransport({ streamTransport: true, buffer: true, newline: 'unix' }, { from });
	return {
		kind: 'file',
		async send(email) {
			const info = await (await transport.get()).sendMail({ to: email.to, subject: email.subject, text: email.text });
			await fs.mkdir(dir, { recursive: true });
			const stamp = new Date().toISOString().replace(/[:.]/g, '-');
			const file = path.join(dir, `${stamp}-${email.id}.eml`);
			await fs.writeFile(file, info.message as Buffer, { mode: 0o600 });
			// Never the body: it may carry an access key.
			log.info({ emailId: email.id, kind: email.kind, to: email.to, file }, 'SMTP_URL is not set: email written to the mail drop');
		},
		close: () => transport.close()
	};
}

let current: Mailer | undefined;

/** The process's mailer, built from the environment on first use. */
export function mailer(): Mailer {
	if (!current) {
		const config = parseConfig(process.env);
		current = createMailer({ smtpUrl: config.smtpUrl, mailFrom: config.mailFrom, dataDir: config.dataDir });
	}
	return current;
}

/** Replaces the process's mailer (tests, or a runtime booted with its own configuration). */
export function setMailer(next: Mailer | undefined): void {
	current?.close();
	current = next;
}
