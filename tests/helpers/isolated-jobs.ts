/** Code jobs that run in a child process (`isolation: 'process'`), for the isolation tests. */
import path from 'node:path';
import { defineJob } from '../../src/lib/server/cron/types';
import type { Isolation } from '../../src/lib/server/cron/runner';

export const isolatedTestJobs = [
	defineJob({
		key: 'busy-loop',
		name: 'Busy loop',
		schedule: '0 0 1 1 *',
		isolation: 'process',
		timeoutMs: 500,
		// Never looks at its signal: only killing its process stops it.
		handler: () => {
			for (;;) {
				// spinning
			}
		}
	}),
	defineJob({
		key: 'isolated-ok',
		name: 'Isolated OK',
		schedule: '0 0 1 1 *',
		isolation: 'process',
		handler: async ({ log, db, execution }) => {
			log('hello from pid', process.pid);
			const [row] = await db.$client<{ n: number }[]>`select count(*)::int as n from cron_job_execution where id = ${execution.id}`;
			return { message: `saw my own row: ${row!.n}`, metrics: { pid: process.pid } };
		}
	}),
	defineJob({
		key: 'isolated-throws',
		name: 'Isolated throws',
		schedule: '0 0 1 1 *',
		isolation: 'process',
		handler: () => {
			throw new Error('broken in the child');
		}
	})
];

/** How the scheduler under test starts the child: this file's sibling through tsx. */
export function testIsolation(databaseUrl: string): Isolation {
	const root = path.resolve(import.meta.dirname, '../..');
	return { argv: [process.execPath, '--import', 'tsx', path.join(root, 'tests/helpers/isolated-child.ts')], env: { CRONKIT_DATABASE_URL: databaseUrl } };
}
