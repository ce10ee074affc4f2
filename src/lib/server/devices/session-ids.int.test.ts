/**
 * Device-session ids are stored hashed: the migration hashes the ids stored in plain text by
 * earlier versions, and the clients holding those ids keep heartbeating as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseBefore, scalar, type TestDatabase } from '../../../../tests/helpers/db';
import { migrate } from '../db/migrate';
import { endSession, heartbeatSession, sessionIdHash } from './sessions';

describe('the migration hashing device-session ids', () => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await createDatabaseBefore('hash_device_session_ids');
	});
	afterAll(() => t.drop());

	it('replaces plain ids by their SHA-256, once; the clients’ ids still work', async () => {
		await t.sql`insert into access_key (id, key_hash, prefix) values ('k1', sha256('k1'::bytea), 'ck_k1'), ('k2', sha256('k2'::bytea), 'ck_k2')`;
		await t.sql`insert into device_session (id, access_key_id, device_id) values ('ds_plain-one', 'k1', 'tablet'), ('ds_plain-two', 'k2', 'phone')`;
		await migrate(t.sql);
		const ids = (await t.sql<{ id: string }[]>`select id from device_session order by device_id`).map((r) => r.id);
		expect(ids).toEqual([sessionIdHash('ds_plain-one'), sessionIdHash('ds_plain-two')].reverse());
		await heartbeatSession(t.sql, { sessionId: 'ds_plain-one' });
		await endSession(t.sql, { sessionId: 'ds_plain-two' });
		expect(await scalar(t.sql`select end_reason from device_session where id = ${sessionIdHash('ds_plain-two')}`)).toBe('ended');
		// Applying it again (a second instance) changes nothing.
		await t.sql.unsafe(`UPDATE "device_session" SET "id" = encode(sha256(convert_to("id", 'UTF8')), 'hex') WHERE "id" LIKE 'ds\\_%'`);
		expect(await scalar(t.sql`select count(*)::int from device_session where id = ${sessionIdHash('ds_plain-one')}`)).toBe(1);
	});
});
