/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 for email tests: records every
 * message it accepts, and refuses recipients that `reject` matches with a permanent 550.
 */
import net from 'node:net';
import { SMTPServer } from 'smtp-server';

export type Received = { from: string; to: string[]; raw: string; subject: string };

export type TestSmtp = {
	port: number;
	url: string;
	received: Received[];
	close(): Promise<void>;
};

export async function startSmtp(opts: { port?: number; reject?: RegExp } = {}): Promise<TestSmtp> {
	const received: Received[] = [];
	const server = new SMTPServer({
		authOptional: true,
		disabledCommands: ['STARTTLS', 'AUTH'],
		logger: false,
		onRcptTo(address, _session, callback) {
			if (opts.reject?.test(address.address)) {
				const err = Object.assign(new Error(`mailbox ${address.address} does not exist`), { responseCode: 550 });
				return callback(err);
			}
			callback();
		},
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (c: Buffer) => chunks.push(c));
			stream.on('end', () => {
				const raw = Buffer.concat(chunks).toString('utf8');
				const subject = /^Subject: (.*)$/im.exec(raw)?.[1]?.trim() ?? '';
				received.push({
					from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
					to: session.envelope.rcptTo.map((r) => r.address),
					raw,
					subject
				});
				callback();
			});
		}
	});
	const port = await new Promise<number>((resolve, reject) => {
		server.once('error', reject);
		server.listen(opts.port ?? 0, '127.0.0.1', () => resolve((server.server.address() as net.AddressInfo).port));
	});
	return {
		port,
		url: `smtp://127.0.0.1:${port}`,
		received,
		close: () => new Promise<void>((resolve) => server.close(() => resolve()))
	};
}
