/** `prune-alerts` on a real PostgreSQL: what it keeps and what it drops. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { testSecrets } from '../../../../tests/helpers/scheduler';
import { DEFAULT_HTTP_JOB_DENY, EgressPolicy } from '../egress/policy';
import { createMonitor } from '../monitors/monitors';
import { recordPing } from '../monitors/ping';
import { createChannel } from './channels';
import { pruneAlertHistory } from './prune-job';

let t: TestDatabase;
beforeAll(async () => {
	t = await createTestDatabase();
});
afterAll(async () => {
	await t.drop();
});

it("keeps each monitor's latest pings, and drops old history but never a notification still to deliver", async () => {
	const actor = { name: 'admin@example.com' };
	const deps = { sql: t.sql, origin: 'http://cronkit.test', defaultTimezone: async () => 'UTC' };
	const tokens: string[] = [];
	for (const key of ['busy', 'quiet']) tokens.push((await createMonitor(deps, { key, name: key, periodSeconds: 60 }, actor)).pingUrl.split('/').at(-1)!);
	for (let i = 0; i < 30; i++) await recordPing(t.sql, { token: tokens[0]!, kind: 'success', exitCode: null, body: Buffer.from(`run ${i}`), bodyBytes: 5, remoteAddr: null, userAgent: null });
	await recordPing(t.sql, { token: tokens[1]!, kind: 'success', exitCode: null, body: null, bodyBytes: 0, remoteAddr: null, userAgent: null });
	// One ping of the quiet monitor is older than the retention period.
	await t.sql`update monitor_ping set at = now() - interval '40 days' where monitor_key = 'quiet'`;

	const channel = await createChannel({ sql: t.sql, secrets: testSecrets, egress: EgressPolicy.fromLists(DEFAULT_HTTP_JOB_DENY) }, { type: 'webhook', name: 'x', url: 'http://127.0.0.1:9/' }, actor);
	await t.sql`
		insert into notification (event, dedupe_key, channel_id, payload, status, created_at)
		values ('test', 'old-delivered', ${channel.id}, '{}', 'delivered', now() - interval '40 days'),
			('test', 'old-pending', ${channel.id}, '{}', 'pending', now() - interval '40 days'),
			('test', 'new-delivered', ${channel.id}, '{}', 'delivered', now())`;

	const pruned = await pruneAlertHistory(t.sql, 30, 10);
	expect(pruned).toMatchObject({ pings: 21, notifications: 1 });
	const busy = await t.sql<{ body: string }[]>`select body from monitor_ping where monitor_key = 'busy' order by id`;
	expect(busy.map((p) => p.body)).toEqual(Array.from({ length: 10 }, (_, i) => `run ${20 + i}`));
	expect(await t.sql`select 1 from monitor_ping where monitor_key = 'quiet'`).toHaveLength(0);
	const left = await t.sql<{ dedupe_key: string }[]>`select dedupe_key from notification order by id`;
	expect(left.map((n) => n.dedupe_key)).toEqual(['old-pending', 'new-delivered']);
});
