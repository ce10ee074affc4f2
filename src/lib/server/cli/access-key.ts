/**
 * `access-key create [--label L] [--email E] [--json]`: creates an access key and prints it
 * once (stdout only, never the log). With --email it is also delivered through the outbox.
 */
import { CLI_ACTOR } from '../audit/actor';
import { createAccessKey } from '../devices/keys';
import { ServiceError } from '../errors';
import type { Sql } from 'postgres';
import type { CommandSpec } from './args';
import { out } from './format';

export const ACCESS_KEY_COMMAND: CommandSpec = { positionals: ['<create>'], flags: { label: true, email: true, json: false } };

export async function accessKeyCommand(sql: Sql, action: string, flags: Record<string, string | true>): Promise<number> {
	if (action !== 'create') throw new Error(`access-key: unknown action "${action}" (expected: access-key create [--label L] [--email E])`);
	const input = { label: flags.label, email: flags.email };
	let created;
	try {
		created = await createAccessKey(sql, input, CLI_ACTOR);
	} catch (err) {
		if (err instanceof ServiceError) throw new Error(`access-key create: ${err.message.replace(/^(\w+):/, '--$1:')}`, { cause: err });
		throw err;
	}
	if (flags.json === true) {
		await out(JSON.stringify({ id: created.id, key: created.key, prefix: created.prefix }));
		return 0;
	}
	const lines = [`created access key ${created.prefix}… (id ${created.id})`, '', `  ${created.key}`, '', 'This is the only time the key is shown: store it now.'];
	if (created.emailId !== null) {
		const [mail] = await sql<{ status: string; lastError: string | null }[]>`
			select status, last_error as "lastError" from email_outbox where id = ${created.emailId}`;
		lines.push(
			mail?.status === 'sent'
				? `Emailed to ${String(flags.email)}.`
				: `Email to ${String(flags.email)} not sent yet (${mail?.lastError ?? 'pending'}); email-retry will try again.`
		);
	}
	await out(lines.join('\n'));
	return 0;
}
