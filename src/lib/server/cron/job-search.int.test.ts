/**
 * The job list's search (`q`): a key or name containing the text, any case, LIKE wildcards
 * literal, in the list's order; and the trigram indexes (drizzle/0013_job_search_trigram.sql)
 * that serve it where pg_trgm is installed, as it is with the embedded server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../tests/helpers/db';
import { instance, type Instance } from '../../../../tests/helpers/scheduler';
import { searchIndexed, SEARCH_INDEXES } from './jobs';

const actor = { name: 'tester' };

describe('job list search', () => {
	let t: TestDatabase;
	let a: Instance;
	const create = (key: string, name: string) =>
		a.service.createJob({ key, name, type: 'http', schedule: '0 0 1 1 *', params: { url: 'http://127.0.0.1:9/' } }, actor);
	const search = async (q: string, sort: 'key' | 'name' = 'key') =>
		(await a.service.listJobPage({ q, sort, offset: 0, limit: 50 })).jobs.map((j) => j.key);

	beforeAll(async () => {
		t = await createTestDatabase();
		a = instance(t, []);
		await create('nightly-backup', 'Zeta: copy the DB');
		await create('report-weekly', 'Alpha sales REPORT');
		await create('sync-users', 'Sync 100% of snake_case users');
		await create('a-sync', 'Sync Beta');
		await create('ab', 'snakeXcase two-letter key');
	});
	afterAll(async () => {
		await t.drop();
	});

	it('finds a substring of the key or the name in any case, in the order asked for', async () => {
		expect(await search('BACKUP')).toEqual(['nightly-backup']);
		expect(await search('copy the')).toEqual(['nightly-backup']);
		expect(await search('report')).toEqual(['report-weekly']);
		expect(await search('sync')).toEqual(['a-sync', 'sync-users']);
		expect(await search('sync', 'name')).toEqual(['sync-users', 'a-sync']);
		expect(await search('a')).toEqual(['a-sync', 'ab', 'nightly-backup', 'report-weekly', 'sync-users']);
		// Shorter than a trigram: still found (the index yields every row, each rechecked).
		expect(await search('b')).toEqual(['a-sync', 'ab', 'nightly-backup']);
		expect(await search('no such job')).toEqual([]);
	});

	it('takes LIKE wildcards literally', async () => {
		expect(await search('snake_case')).toEqual(['sync-users']);
		expect(await search('100%')).toEqual(['sync-users']);
		expect(await search('%')).toEqual(['sync-users']);
		expect(await search('\\')).toEqual([]);
	});

	it('has its trigram indexes and the planner can answer the search with them alone', async () => {
		expect(await searchIndexed(t.sql)).toBe(true);
		// Every other way to read cron_job is switched off: a plan without the trigram indexes
		// would be a (disabled) sequential scan. The predicate is the one jobFilter writes.
		const plan = await t.sql.begin(async (tx) => {
			await tx.unsafe('set local enable_seqscan = off; set local enable_indexscan = off; set local enable_indexonlyscan = off');
			return tx<{ 'QUERY PLAN': string }[]>`
				explain select key from cron_job where key ilike ${'%Backup%'} or name ilike ${'%Backup%'} order by key limit 50`;
		});
		const text = plan.map((r) => r['QUERY PLAN']).join('\n');
		for (const index of SEARCH_INDEXES) expect(text).toContain(`Bitmap Index Scan on ${index}`);
		expect(text).not.toContain('Seq Scan');
	});

	it('without the indexes (no pg_trgm) search is still right, and the app can tell', async () => {
		await t.sql.unsafe(`drop index ${SEARCH_INDEXES.join(', ')}`);
		expect(await searchIndexed(t.sql)).toBe(false);
		expect(await search('BACKUP')).toEqual(['nightly-backup']);
		expect(await search('snake_case')).toEqual(['sync-users']);
	});
});
