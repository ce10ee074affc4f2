/** `jobs [--json]`: every job with its schedule, state, last run and next run, as the API lists them. */
import type { JobView } from '../cron/job-view';
import type { CronJobService } from '../cron/service';
import { isoSeconds, out, relative, table } from './format';

function scheduleCell(job: JobView): string {
	return job.scheduleDescription && job.scheduleDescription !== job.schedule
		? `${job.schedule} (${job.scheduleDescription})`
		: job.schedule;
}

function lastCell(job: JobView, now: Date): string {
	if (!job.lastStatus) return 'never';
	return job.lastRunAt ? `${job.lastStatus} ${relative(new Date(job.lastRunAt), now)}` : job.lastStatus;
}

function nextCell(job: JobView, now: Date): string {
	if (!job.nextRunAt) return '-';
	const next = new Date(job.nextRunAt);
	return `${isoSeconds(next)} (${relative(next, now)})`;
}

export async function jobsCommand(cron: CronJobService, opts: { json: boolean }): Promise<number> {
	const jobs = await cron.listJobs();
	if (opts.json) {
		await out(JSON.stringify({ jobs }, null, 2));
		return 0;
	}
	if (!jobs.length) {
		await out('no jobs');
		return 0;
	}
	const now = new Date();
	const rows = jobs.map((j) => [
		j.key,
		j.enabled ? 'yes' : 'no',
		scheduleCell(j),
		j.timezone,
		j.configError ? `${j.state}: ${j.configError}` : j.state,
		lastCell(j, now),
		nextCell(j, now)
	]);
	await out(table(['KEY', 'ENABLED', 'SCHEDULE', 'ZONE', 'STATE', 'LAST RUN', 'NEXT RUN'], rows));
	return 0;
}
