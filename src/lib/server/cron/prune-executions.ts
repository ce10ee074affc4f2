import { ACTIVE_STATUSES } from '../db/schema';
import { unbounded } from '../db/statement-timeout';
import { loadSettings } from './settings';
import { defineJob } from './types';

const BATCH = 5000;

/**
 * Built-in `prune-executions`: deletes finished runs older than `executions.retentionDays`,
 * oldest first in batches along the primary key (ids grow with time), so it never holds long
 * locks and stops scanning where recent rows begin. Exempt from DB_STATEMENT_TIMEOUT_MS: a
 * batch over a history of millions of rows may rightly take longer than a request may wait.
 */
export const pruneExecutions = defineJob({
	key: 'prune-executions',
	name: 'Prune run history',
	description: 'Deletes runs older than the retention period (executions.retentionDays), in batches.',
	schedule: 'daily',
	timeoutMs: 30 * 60_000,
	catchUp: 'once',
	async handler({ db, signal, log }) {
		const sql = unbounded(db.$client);
		const settings = await loadSettings(sql, 'UTC');
		const days = settings['executions.retentionDays'];
		let after = 0;
		let deleted = 0;
		for (;;) {
			signal.throwIfAborted();
			const batch = await sql<{ id: number; old: boolean }[]>`
				select id, created_at < now() - make_interval(days => ${days}) as old
				from cron_job_execution where id > ${after} order by id limit ${BATCH}`;
			if (!batch.length) break;
			after = batch[batch.length - 1]!.id;
			const old = batch.filter((r) => r.old).map((r) => r.id);
			if (old.length) {
				const res = await sql`
					delete from cron_job_execution
					where id = any(${old}) and status <> all(${ACTIVE_STATUSES}) and not exclusive`;
				deleted += res.count;
			}
			// Rows are in id order, so the first recent one ends the old region.
			if (batch.length < BATCH || !batch[batch.length - 1]!.old) break;
		}
		log(`deleted ${deleted} runs older than ${days} days`);
		return { message: `deleted ${deleted} runs`, metrics: { deleted } };
	}
});
