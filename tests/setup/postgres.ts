/**
 * Vitest global setup for the integration project: one real PostgreSQL for the whole run
 * (TEST_DATABASE_URL, or the embedded server in a throw-away directory) and a migrated
 * template database from which each test file clones its own database.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startEmbedded, type EmbeddedServer } from '../../src/lib/server/db/embedded';
import { migrate } from '../../src/lib/server/db/migrate';

export const TEMPLATE_DB = 'cronkit_test_template';

declare module 'vitest' {
	export interface ProvidedContext {
		pgAdminUrl: string;
		pgTemplate: string;
	}
}

function withDatabase(url: string, db: string): string {
	const u = new URL(url);
	u.pathname = `/${db}`;
	return u.toString();
}

export default async function setup(project: TestProject) {
	let embedded: EmbeddedServer | undefined;
	let dataDir: string | undefined;
	let adminUrl = process.env.TEST_DATABASE_URL;
	if (!adminUrl) {
		dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cronkit-vitest-'));
		embedded = await startEmbedded({
			dataDir,
			mode: 'own',
			// Durability is not under test here; speed is welcome.
			settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '400' }
		});
		adminUrl = embedded.url;
	}
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	await admin.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
	await admin.unsafe(`create database ${TEMPLATE_DB}`);
	const tpl = postgres(withDatabase(adminUrl, TEMPLATE_DB), { max: 1, onnotice: () => {} });
	await migrate(tpl);
	await tpl.end();
	await admin.end();

	project.provide('pgAdminUrl', adminUrl);
	project.provide('pgTemplate', TEMPLATE_DB);

	return async () => {
		if (embedded) {
			await embedded.stop();
			await fs.rm(dataDir!, { recursive: true, force: true });
		} else {
			const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
			await a.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
			await a.end();
		}
	};
}
