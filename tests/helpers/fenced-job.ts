import { defineJob } from '../../src/lib/server/cron/types';

/** A job that runs until aborted, then finishes successfully; it reports both on stdout. */
export function fencedJob(instanceId: string) {
	return defineJob({
		key: 'fenced',
		name: 'Fenced',
		schedule: '0 0 1 1 *',
		maxRetries: 1,
		handler: ({ signal, execution }) =>
			new Promise<{ message: string }>((resolve) => {
				process.stdout.write(`STARTED ${execution.id}\n`);
				const done = () => resolve({ message: `finished late in ${instanceId}` });
				const timer = setTimeout(done, 60_000);
				signal.addEventListener('abort', () => {
					process.stdout.write(`ABORTED ${execution.id} ${Date.now()}\n`);
					clearTimeout(timer);
					done();
				});
			})
	});
}
