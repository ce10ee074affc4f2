/**
 * SECRET_KEY: from the environment, or generated once into DATA_DIR/secret.key (mode 0600) when
 * unset. Unset is refused in production with DATABASE_URL (NODE_ENV=production): every instance
 * of a shared database must use one key, which a file per machine cannot promise. The database
 * keeps the key's fingerprint; an instance with another key refuses to boot.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Sql } from 'postgres';
import { ConfigError, type Config } from '../config';
import { decodeKey, KEY_BYTES, type SecretBox } from './box';

export const KEY_FILE = 'secret.key';

async function keyFromFile(file: string): Promise<Buffer> {
	try {
		const fresh = randomBytes(KEY_BYTES);
		await fs.mkdir(path.dirname(file), { recursive: true });
		// `wx`: of two processes starting together, one writes and both read the same key.
		await fs.writeFile(file, `${fresh.toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
		return fresh;
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new ConfigError(`cannot create ${file}: ${(err as Error).message}`);
	}
	const key = decodeKey(await fs.readFile(file, 'utf8'));
	if (!key) throw new ConfigError(`Invalid configuration: ${file} (the generated SECRET_KEY) does not hold 32 bytes in base64`);
	return key;
}

/** The key of this process, and where it came from (for the mismatch message). */
export async function loadSecretKey(config: Pick<Config, 'secretKey' | 'databaseUrl' | 'production' | 'dataDir'>): Promise<{ key: Buffer; source: string }> {
	if (config.secretKey) return { key: config.secretKey, source: 'SECRET_KEY' };
	if (config.databaseUrl && config.production) {
		throw new ConfigError(
			'Invalid configuration: SECRET_KEY is required with DATABASE_URL in production (NODE_ENV=production): set the same key on every instance (openssl rand -base64 32)'
		);
	}
	const file = path.join(config.dataDir, KEY_FILE);
	return { key: await keyFromFile(file), source: `SECRET_KEY (unset: generated into ${file})` };
}

/**
 * Records the key's fingerprint on first use and refuses another key afterwards, with one line
 * naming SECRET_KEY (secrets encrypted under one key cannot be read under another).
 */
export async function checkKeyFingerprint(sql: Sql, box: SecretBox, source: string): Promise<void> {
	const [row] = await sql<{ fingerprint: string }[]>`
		with ins as (insert into secret_key (id, fingerprint) values (1, ${box.fingerprint}) on conflict (id) do nothing returning fingerprint)
		select fingerprint from ins union all select fingerprint from secret_key where id = 1 limit 1`;
	if (row && row.fingerprint !== box.fingerprint) {
		throw new ConfigError(
			`Invalid configuration: SECRET_KEY does not match the key this database's secrets are encrypted with (fingerprint ${row.fingerprint.slice(0, 12)}…, this instance's ${source} has ${box.fingerprint.slice(0, 12)}…)`
		);
	}
}
