/** `jobs [--json]`: every job with its schedule, state, last run and next run. */
import { compileSchedule, nextRun } from '../cron/schedule';
import type { JobView } from '../cron/service';
import type { Runtime } from '../runtime';
import { isoSeconds, out, relative, table } from './format';

/**
 * The stored next run is written by a started scheduler; with none running (a fresh database,
 * or only `web` instances) it is missing or past, so it is computed from the schedule.
 */
export function effectiveNextRun(job: JobView, now: Date): Date | null {
	if (!job.enabled || job.configError) return null;
	const stored = job.nextRunAt ? new Date(job.nextRunAt) : null;
	if (stored && stored > now) return stored;
	try {
		return nextRun(compileSchedule(job.schedule, job.timezone, job.source === 'code' ? process.env : undefined), now);
	} catch {
		return null;
	}
}

function scheduleCell(job: JobView): string {
	return job.scheduleDescription && job.scheduleDescription !== job.schedule
		? `${job.schedule} (${job.scheduleDescription})`
		: job.schedule;
}

function lastCell(job: JobView, now: Date): string {
	if (!job.lastStatus) return 'never';
	return job.lastRunAt ? `${job.lastStatus} ${relative(new Date(job.lastRunAt), now)}` : job.lastStatus;
}

function nextCell(next: Date | null, now: Date): string {
	return next ? `${isoSeconds(next)} (${relative(next, now)})` : '-';
}

export async function jobsCommand(rt: Runtime, opts: { json: boolean }): Promise<number> {
	const now = new Date();
	const jobs = (await rt.cron.listJobs()).map((j) => {
		const next = effectiveNextRun(j, now);
		return { ...j, nextRunAt: next ? next.toISOString() : null };
	});
	if (opts.json) {
		await out(JSON.stringify({ jobs }, null, 2));
		return 0;
	}
	if (!jobs.length) {
		await out('no jobs');
		return 0;
	}
	const rows = jobs.map((j) => [
		j.key,
		j.enabled ? 'yes' : 'no',
		scheduleCell(j),
		j.timezone,
		j.configError ? `${j.state}: ${j.configError}` : j.state,
		lastCell(j, now),
		nextCell(j.nextRunAt ? new Date(j.nextRunAt) : null, now)
	]);
	await out(table(['KEY', 'ENABLED', 'SCHEDULE', 'ZONE', 'STATE', 'LAST RUN', 'NEXT RUN'], rows));
	return 0;
}
