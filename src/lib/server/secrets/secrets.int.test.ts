/**
 * SECRET_KEY and job secrets at rest: the key (given, or generated into DATA_DIR), its
 * fingerprint in the database, the encryption of rows written in plain text by earlier versions,
 * and the migration that masks what those versions wrote into the audit log and run output.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseBefore, createTestDatabase, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { ConfigError } from '../config';
import { sealStoredHttpSecrets } from '../cron/http-job';
import { migrate } from '../db/migrate';
import { SecretBox, SecretOpenError } from './box';
import { checkKeyFingerprint, KEY_FILE, loadSecretKey } from './key';

describe('the secret box', () => {
	const box = new SecretBox(randomBytes(32));

	it('round-trips, with a fresh IV each time, and refuses tampering or another key', () => {
		const a = box.seal('Bearer tok-123');
		const b = box.seal('Bearer tok-123');
		expect(a).toMatch(/^enc:v1:[A-Za-z0-9_-]+$/);
		expect(a).not.toBe(b);
		expect(box.open(a)).toBe('Bearer tok-123');
		const tampered = a.slice(0, -2) + (a.endsWith('A') ? 'BB' : 'AA');
		expect(() => box.open(tampered)).toThrow(SecretOpenError);
		expect(() => new SecretBox(randomBytes(32)).open(a)).toThrow('the stored value cannot be decrypted with this SECRET_KEY');
		expect(() => box.open('plain')).toThrow('the stored value is not encrypted');
	});

	it('signs and verifies cookie values', () => {
		const signed = box.sign('payload.with.dots');
		expect(box.verify(signed)).toBe('payload.with.dots');
		expect(box.verify(`${signed}x`)).toBeNull();
		expect(new SecretBox(randomBytes(32)).verify(signed)).toBeNull();
	});
});

describe('SECRET_KEY', () => {
	let dataDir: string;
	beforeAll(async () => {
		dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-key-'));
	});
	afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

	it('is generated once into DATA_DIR (mode 0600) when unset, and read back afterwards', async () => {
		const first = await loadSecretKey({ secretKey: undefined, databaseUrl: undefined, production: false, dataDir });
		expect(first.key).toHaveLength(32);
		expect((await fs.stat(path.join(dataDir, KEY_FILE))).mode & 0o777).toBe(0o600);
		const again = await loadSecretKey({ secretKey: undefined, databaseUrl: 'postgres://x/y', production: false, dataDir });
		expect(again.key.equals(first.key)).toBe(true);
	});

	it('is required with DATABASE_URL in production, with one line naming it', async () => {
		const err = await loadSecretKey({ secretKey: undefined, databaseUrl: 'postgres://db/cronkit', production: true, dataDir }).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(ConfigError);
		expect((err as Error).message).toMatch(/^Invalid configuration: SECRET_KEY is required with DATABASE_URL in production/);
		expect((err as Error).message).not.toContain('\n');
		const given = randomBytes(32);
		expect((await loadSecretKey({ secretKey: given, databaseUrl: 'postgres://db/cronkit', production: true, dataDir })).key).toBe(given);
	});
});

describe('the key fingerprint in the database', () => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await createTestDatabase();
	});
	afterAll(() => t.drop());

	it('is recorded by the first instance; another key refuses to boot with one line naming SECRET_KEY', async () => {
		const box = new SecretBox(randomBytes(32));
		await checkKeyFingerprint(t.sql, box, 'SECRET_KEY');
		await checkKeyFingerprint(t.sql, box, 'SECRET_KEY');
		expect(await scalar(t.sql`select fingerprint from secret_key`)).toBe(box.fingerprint);
		const err = await checkKeyFingerprint(t.sql, new SecretBox(randomBytes(32)), 'SECRET_KEY').catch((e: unknown) => e);
		expect(err).toBeInstanceOf(ConfigError);
		expect((err as Error).message).toMatch(/^Invalid configuration: SECRET_KEY does not match the key this database's secrets are encrypted with/);
		expect((err as Error).message).not.toContain('\n');
	});

	it('encrypts http job secrets stored in plain text by earlier versions, once', async () => {
		const box = new SecretBox(randomBytes(32));
		await t.sql`
			insert into cron_job (key, name, source, type, params, schedule, timeout_ms, catch_up_max_age_ms)
			values ('legacy', 'Legacy', 'ui', 'http', ${t.sql.json({ url: 'https://bob:pw-123@api.example/x', headers: { 'X-Api-Key': 'k-789' } })}, 'daily', 1000, 1000)`;
		expect(await sealStoredHttpSecrets(t.sql, box)).toBe(1);
		const params = await scalar<Record<string, unknown>>(t.sql`select params from cron_job where key = 'legacy'`);
		expect(JSON.stringify(params)).not.toMatch(/pw-123|k-789|bob/);
		expect(params.url).toBe('https://api.example/x');
		expect(box.open(params.userinfo as string)).toBe('bob:pw-123');
		expect(box.open((params.headers as Record<string, string>)['X-Api-Key']!)).toBe('k-789');
		expect(await sealStoredHttpSecrets(t.sql, box)).toBe(0);
	});

	it('finds each kind of plain secret on its own (only such rows are read at boot), and leaves sealed ones', async () => {
		const box = new SecretBox(randomBytes(32));
		const job = (key: string, params: Record<string, unknown>) => t.sql`
			insert into cron_job (key, name, source, type, params, schedule, timeout_ms, catch_up_max_age_ms)
			values (${key}, ${key}, 'ui', 'http', ${t.sql.json(params as never)}, 'daily', 1000, 1000)`;
		await t.sql`delete from cron_job`;
		await job('header-only', { url: 'https://api.example/h', headers: { 'X-Token': 'plain-1', Sealed: box.seal('s') } });
		await job('number-header', { url: 'https://api.example/n', headers: { 'X-Count': 42 } });
		await job('userinfo-only', { url: 'https://carol@api.example/u', headers: {} });
		await job('all-sealed', { url: 'https://api.example/ok?at=x@y', headers: { 'X-Token': box.seal('t') } });
		await job('no-headers', { url: 'https://api.example/none' });
		const before = await scalar<Record<string, unknown>>(t.sql`select params from cron_job where key = 'all-sealed'`);
		expect(await sealStoredHttpSecrets(t.sql, box)).toBe(3);
		const rows = await t.sql<{ key: string; params: Record<string, unknown> }[]>`select key, params from cron_job order by key`;
		const of = (key: string) => rows.find((r) => r.key === key)!.params;
		expect(box.open((of('header-only').headers as Record<string, string>)['X-Token']!)).toBe('plain-1');
		expect(box.open((of('number-header').headers as Record<string, string>)['X-Count']!)).toBe('42');
		expect(box.open(of('userinfo-only').userinfo as string)).toBe('carol');
		expect(of('userinfo-only').url).toBe('https://api.example/u');
		expect(of('all-sealed')).toEqual(before);
		expect(await sealStoredHttpSecrets(t.sql, box)).toBe(0);
	});
});

describe('the migration masking job secrets written before', () => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await createDatabaseBefore('redact_job_secrets');
	});
	afterAll(() => t.drop());

	it('masks header values and URL user-info in audit rows, and user-info in run output and errors', async () => {
		const params = { url: 'https://bob:pw-123@api.example/x', method: 'GET', headers: { Authorization: 'Bearer tok-1', Accept: 'text/plain' } };
		await t.sql`
			insert into cron_job (key, name, source, type, params, schedule, timeout_ms, catch_up_max_age_ms)
			values ('legacy', 'Legacy', 'ui', 'http', ${t.sql.json(params)}, 'daily', 1000, 1000)`;
		await t.sql`
			insert into audit_log (actor, action, entity, entity_id, before, after) values
				('a', 'job.create', 'cron_job', 'legacy', null, ${t.sql.json({ name: 'Legacy', params })}),
				('a', 'job.update', 'cron_job', 'legacy', ${t.sql.json({ params })}, ${t.sql.json({ params: { ...params, headers: {} } })}),
				('a', 'settings.update', 'config', null, ${t.sql.json({ 'scheduler.paused': false })}, ${t.sql.json({ 'scheduler.paused': true })})`;
		await t.sql`
			insert into cron_job_execution (job_id, trigger, status, output, error_message) values
				('legacy', 'manual', 'failed', 'GET https://bob:pw-123@api.example/x → 500', 'Request cannot be constructed from a URL that includes credentials: https://bob:pw-123@api.example/x')`;
		expect(await migrate(t.sql)).toBeGreaterThan(0);
		const audit = await t.sql<{ action: string; before: unknown; after: unknown }[]>`select action, before, after from audit_log order by id`;
		expect(JSON.stringify(audit)).not.toMatch(/pw-123|tok-1|text\/plain|bob/);
		expect(audit[0]!.after).toEqual({ name: 'Legacy', params: { ...params, url: 'https://••••@api.example/x', headers: { Authorization: '••••', Accept: '••••' } } });
		expect(audit[1]!.after).toEqual({ params: { ...params, url: 'https://••••@api.example/x', headers: {} } });
		expect(audit[2]).toMatchObject({ before: { 'scheduler.paused': false }, after: { 'scheduler.paused': true } });
		const [run] = await t.sql<{ output: string; error_message: string }[]>`select output, error_message from cron_job_execution`;
		expect(run).toEqual({
			output: 'GET https://••••@api.example/x → 500',
			error_message: 'Request cannot be constructed from a URL that includes credentials: https://••••@api.example/x'
		});
	});
});
