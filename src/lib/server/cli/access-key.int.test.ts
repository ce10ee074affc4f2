/**
 * `npm run cron -- access-key create [--label L] [--email E] [--json]`, in process: argument
 * parsing as main.ts does it, then the command on a real database (the email to the mail drop).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { accessKeyCommand, ACCESS_KEY_COMMAND } from './access-key';
import { parseArgs } from './args';
import { hashAccessKey } from '../devices/keys';
import { createMailer, setMailer } from '../email/transport';
import { log } from '../log';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';

let t: TestDatabase;
let dataDir: string;

beforeAll(async () => {
	t = await createTestDatabase();
	dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-cli-key-'));
	log.level = 'silent';
	setMailer(createMailer({ mailFrom: 'cronkit@example.com', dataDir }));
});

afterAll(async () => {
	setMailer(undefined);
	await t?.drop();
	await fs.rm(dataDir, { recursive: true, force: true });
});

const specs = { 'access-key': ACCESS_KEY_COMMAND };

async function cli(argv: string[]): Promise<{ code: number; stdout: string }> {
	const parsed = parseArgs(argv, specs);
	if (parsed.kind !== 'command') throw new Error(`parse: ${JSON.stringify(parsed)}`);
	let stdout = '';
	const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
		stdout += String(chunk);
		const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
		cb?.();
		return true;
	});
	try {
		const code = await accessKeyCommand(t.sql, parsed.positionals[0]!, parsed.flags);
		return { code, stdout };
	} finally {
		spy.mockRestore();
	}
}

describe('access-key create', () => {
	it('prints the key once; stores its hash, label and email; emails it through the outbox', async () => {
		const { code, stdout } = await cli(['access-key', 'create', '--label', 'Kiosk 3', '--email=kiosk@example.com']);
		expect(code).toBe(0);
		const key = /^\s+(ck_[A-Za-z0-9_-]{43})$/m.exec(stdout)?.[1];
		expect(key).toBeDefined();
		expect(stdout).toMatch(/This is the only time the key is shown/);
		expect(stdout).toContain('Emailed to kiosk@example.com.');
		const [row] = await t.sql<{ label: string; email: string; createdBy: string; prefix: string }[]>`
			select label, email, created_by as "createdBy", prefix from access_key where key_hash = ${hashAccessKey(key!)}`;
		expect(row).toEqual({ label: 'Kiosk 3', email: 'kiosk@example.com', createdBy: 'cli', prefix: key!.slice(0, 11) });
		const mails = await fs.readdir(path.join(dataDir, 'mail'));
		const eml = await fs.readFile(path.join(dataDir, 'mail', mails[0]!), 'utf8');
		expect(eml).toContain(key!);
	});

	it('--json prints {id, key, prefix}', async () => {
		const { stdout } = await cli(['access-key', 'create', '--json']);
		const out = JSON.parse(stdout);
		expect(out).toEqual({ id: expect.any(String), key: expect.stringMatching(/^ck_/), prefix: out.key.slice(0, 11) });
	});

	it('refuses a bad email and an unknown action with one line naming the problem', async () => {
		await expect(cli(['access-key', 'create', '--email', 'nope'])).rejects.toThrow(/^access-key create: --email: must be an email address$/);
		await expect(cli(['access-key', 'list'])).rejects.toThrow(/unknown action "list"/);
		expect(parseArgs(['access-key'], specs)).toMatchObject({ kind: 'error', message: 'access-key: missing <create>' });
		expect(parseArgs(['access-key', 'create', '--label'], specs)).toMatchObject({ kind: 'error', message: 'access-key: --label needs a value' });
	});
});
