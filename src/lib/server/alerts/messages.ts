/**
 * What an alert says. People read these at 3 a.m.: the text names the job (or monitor), what
 * happened, when, the error's first line, and links to the page to open. The payload is what a
 * `json` webhook receives, `{event, text, job?, execution?, monitor?, at}`; `slack` gets
 * `{text}`, `discord` `{content}`, email a subject and the text.
 */
import type { AlertEvent, MonitorStatus, WebhookFormat } from '../../names';
import { formatAbsolute, formatDuration } from '../../format/time';
import type { ExecutionStatus, Trigger } from '../db/schema';

export type JobRef = { key: string; name: string; timezone: string };

export type RunRef = {
	id: number;
	status: ExecutionStatus;
	trigger: Trigger;
	attempt: number;
	scheduledFor: Date | null;
	startedAt: Date | null;
	finishedAt: Date | null;
	errorMessage: string | null;
};

export type MonitorRef = {
	key: string;
	name: string;
	status: MonitorStatus;
	lastPingAt: Date | null;
	timezone: string | null;
};

export type AlertPayload = {
	event: AlertEvent;
	text: string;
	job?: { key: string; name: string; url: string };
	execution?: {
		id: number;
		status: ExecutionStatus;
		trigger: Trigger;
		attempt: number;
		scheduledFor: string | null;
		startedAt: string | null;
		finishedAt: string | null;
		errorMessage: string | null;
		url: string;
	};
	monitor?: { key: string; name: string; status: MonitorStatus; lastPingAt: string | null; url: string };
	at: string;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);
/** Between a text and the link that ends it. */
const LINK_SEP = ' — ';
const enc = encodeURIComponent;

export const jobUrl = (origin: string, key: string) => `${origin}/admin/cron/${enc(key)}`;
export const executionUrl = (origin: string, key: string, id: number) => `${origin}/admin/cron/${enc(key)}/executions/${id}`;
export const monitorUrl = (origin: string, key: string) => `${origin}/admin/monitors/${enc(key)}`;

/** The first line of an error, at most 300 characters. */
export function firstLine(text: string | null | undefined): string | null {
	const line = text?.split('\n', 1)[0]?.trim();
	if (!line) return null;
	return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

const jobName = (job: JobRef) => `Job "${job.name}" (${job.key})`;
const monitorName = (m: { key: string; name: string }) => `Monitor "${m.name}" (${m.key})`;

function jobParts(origin: string, job: JobRef, run: RunRef | null) {
	return {
		job: { key: job.key, name: job.name, url: jobUrl(origin, job.key) },
		...(run
			? {
					execution: {
						id: run.id,
						status: run.status,
						trigger: run.trigger,
						attempt: run.attempt,
						scheduledFor: iso(run.scheduledFor),
						startedAt: iso(run.startedAt),
						finishedAt: iso(run.finishedAt),
						errorMessage: run.errorMessage,
						url: executionUrl(origin, job.key, run.id)
					}
				}
			: {})
	};
}

const FAILED_VERB: Partial<Record<ExecutionStatus, string>> = { failed: 'failed', timed_out: 'timed out', interrupted: 'was interrupted' };

export type JobEventInput =
	| { event: 'failed'; run: RunRef; maxRetries: number }
	| { event: 'recovered'; run: RunRef; failures: number }
	| { event: 'missed'; run: RunRef }
	| { event: 'slow'; run: RunRef; maxDurationMs: number; at: Date }
	| { event: 'no_success'; withinMs: number; since: Date; last: RunRef | null; at: Date }
	| { event: 'auto_disabled'; run: RunRef; failures: number; at: Date };

/** The payload of an event about a job. */
export function jobEvent(origin: string, job: JobRef, e: JobEventInput): AlertPayload {
	const when = (d: Date | null) => (d ? formatAbsolute(d, job.timezone) : 'an unknown time');
	const error = (run: RunRef | null) => (run && firstLine(run.errorMessage) ? `: ${firstLine(run.errorMessage)}` : '');
	const link = (run: RunRef | null) => (run ? executionUrl(origin, job.key, run.id) : jobUrl(origin, job.key));
	let text: string;
	let at: Date;
	let run: RunRef | null;
	switch (e.event) {
		case 'failed': {
			run = e.run;
			at = run.finishedAt ?? new Date();
			const attempts = e.run.attempt > 1 ? ` (attempt ${e.run.attempt} of ${e.maxRetries + 1})` : '';
			text = `${jobName(job)} ${FAILED_VERB[run.status] ?? run.status} at ${when(at)}${attempts}${error(run)}`;
			break;
		}
		case 'recovered':
			run = e.run;
			at = run.finishedAt ?? new Date();
			text = `${jobName(job)} recovered at ${when(at)}: run #${run.id} succeeded${e.failures > 0 ? ` after ${e.failures} failure${e.failures === 1 ? '' : 's'}` : ' again'}`;
			break;
		case 'missed':
			run = e.run;
			at = run.finishedAt ?? new Date();
			text = `${jobName(job)} missed its run scheduled for ${when(run.scheduledFor)}${error(run)}`;
			break;
		case 'slow':
			run = e.run;
			at = e.at;
			text = `${jobName(job)} has been running for ${formatDuration(at.getTime() - (run.startedAt ?? at).getTime())}, longer than its limit of ${formatDuration(e.maxDurationMs)} (started at ${when(run.startedAt)})`;
			break;
		case 'no_success': {
			run = e.last;
			at = e.at;
			const last = run ? `; last run ${run.status.replace('_', ' ')} at ${when(run.finishedAt ?? run.startedAt)}${error(run)}` : '; no run since';
			text = `${jobName(job)} has not succeeded within ${formatDuration(e.withinMs)} (since ${when(e.since)})${last}`;
			break;
		}
		case 'auto_disabled':
			run = e.run;
			at = e.at;
			text = `${jobName(job)} was disabled at ${when(at)} after ${e.failures} consecutive failures (autoDisableAfter)${error(run)}`;
			break;
	}
	return { event: e.event, text: `${text}${LINK_SEP}${link(run)}`, ...jobParts(origin, job, run), at: at.toISOString() };
}

export type MonitorEventInput = { event: 'monitor_down' | 'monitor_up'; reason: string; at: Date; downSince?: Date | null };

export function monitorEvent(origin: string, m: MonitorRef, e: MonitorEventInput): AlertPayload {
	const zone = m.timezone ?? 'UTC';
	const when = formatAbsolute(e.at, zone);
	const text =
		e.event === 'monitor_down'
			? `${monitorName(m)} is down since ${when}: ${e.reason}${m.lastPingAt ? ` (last ping ${formatAbsolute(m.lastPingAt, zone)})` : ''}`
			: `${monitorName(m)} is up again at ${when}${e.downSince ? ` after ${formatDuration(e.at.getTime() - e.downSince.getTime())} down` : ''}: ${e.reason}`;
	return {
		event: e.event,
		text: `${text}${LINK_SEP}${monitorUrl(origin, m.key)}`,
		monitor: { key: m.key, name: m.name, status: m.status, lastPingAt: iso(m.lastPingAt), url: monitorUrl(origin, m.key) },
		at: e.at.toISOString()
	};
}

export function testEvent(origin: string, channelName: string, at: Date): AlertPayload {
	return {
		event: 'test',
		text: `Test notification from Cronkit to the channel "${channelName}" at ${formatAbsolute(at)}: alerts will arrive here${LINK_SEP}${origin}/admin/alerts`,
		at: at.toISOString()
	};
}

const NOUNS: Record<AlertEvent, [string, string]> = {
	failed: ['failure', 'failures'],
	recovered: ['recovery', 'recoveries'],
	missed: ['missed run', 'missed runs'],
	slow: ['slow run', 'slow runs'],
	no_success: ['no-success alert', 'no-success alerts'],
	auto_disabled: ['auto-disable', 'auto-disables'],
	monitor_down: ['down alert', 'down alerts'],
	monitor_up: ['up alert', 'up alerts'],
	test: ['test', 'tests']
};

/** "41 more failures, 2 more slow runs" for held counts. */
export function heldCounts(held: Partial<Record<AlertEvent, number>>): string {
	return Object.entries(held)
		.filter(([, n]) => n && n > 0)
		.map(([event, n]) => `${n} more ${NOUNS[event as AlertEvent][n === 1 ? 0 : 1]}`)
		.join(', ');
}

/**
 * The summary sent when a rate-limit window ends: "and 41 more failures", about the latest held
 * event (its job, execution or monitor).
 */
export function summaryEvent(last: AlertPayload, held: Partial<Record<AlertEvent, number>>, since: Date, at: Date): AlertPayload {
	const what = last.job ? `Job "${last.job.name}" (${last.job.key})` : last.monitor ? `Monitor "${last.monitor.name}" (${last.monitor.key})` : 'Cronkit';
	const link = last.execution?.url ?? last.job?.url ?? last.monitor?.url;
	const latest = firstLine(splitLink(last.text)[0]);
	return {
		...last,
		text: `${what}: and ${heldCounts(held)} since ${formatAbsolute(since)} (not sent one by one: at most one alert a minute). Latest: ${latest}${link ? `${LINK_SEP}${link}` : ''}`,
		at: at.toISOString()
	};
}

/** A payload's text without its trailing link, and the link. */
function splitLink(text: string): [string, string | null] {
	const i = text.lastIndexOf(LINK_SEP);
	return i < 0 ? [text, null] : [text.slice(0, i), text.slice(i + LINK_SEP.length)];
}

/** A recovery that ends a window with held alerts says what was held. */
export function withHeld(p: AlertPayload, held: Partial<Record<AlertEvent, number>>): AlertPayload {
	const counts = heldCounts(held);
	if (!counts) return p;
	const [text, link] = splitLink(p.text);
	return { ...p, text: `${text} (before it: ${counts}, not sent one by one)${link ? `${LINK_SEP}${link}` : ''}` };
}

/** Discord refuses messages over 2,000 characters. */
const DISCORD_MAX = 2000;

/**
 * The payload with its keys in the documented order (it is stored as jsonb, which keeps its own
 * order): {event, text, job?, execution?, monitor?, at}, and each object's fields as listed.
 */
export function orderedPayload(p: AlertPayload): AlertPayload {
	const e = p.execution;
	const m = p.monitor;
	return {
		event: p.event,
		text: p.text,
		...(p.job ? { job: { key: p.job.key, name: p.job.name, url: p.job.url } } : {}),
		...(e
			? {
					execution: {
						id: e.id,
						status: e.status,
						trigger: e.trigger,
						attempt: e.attempt,
						scheduledFor: e.scheduledFor,
						startedAt: e.startedAt,
						finishedAt: e.finishedAt,
						errorMessage: e.errorMessage,
						url: e.url
					}
				}
			: {}),
		...(m ? { monitor: { key: m.key, name: m.name, status: m.status, lastPingAt: m.lastPingAt, url: m.url } } : {}),
		at: p.at
	};
}

/** A webhook's JSON body in its channel's format. */
export function webhookBody(format: WebhookFormat, p: AlertPayload): Record<string, unknown> {
	if (format === 'slack') return { text: p.text };
	if (format === 'discord') return { content: p.text.length > DISCORD_MAX ? `${p.text.slice(0, DISCORD_MAX - 1)}…` : p.text };
	return orderedPayload(p);
}

const SUBJECTS: Record<AlertEvent, string> = {
	failed: 'failed',
	recovered: 'recovered',
	missed: 'missed a run',
	slow: 'is running long',
	no_success: 'has not succeeded',
	auto_disabled: 'was disabled',
	monitor_down: 'is down',
	monitor_up: 'is up again',
	test: 'test notification'
};

/** An email channel's message. */
export function emailMessage(p: AlertPayload): { subject: string; text: string } {
	const who = p.job ? `job ${p.job.key} ` : p.monitor ? `monitor ${p.monitor.key} ` : '';
	const [text, link] = splitLink(p.text);
	return { subject: `Cronkit: ${who}${SUBJECTS[p.event]}`, text: link ? `${text}\n\n${link}\n` : `${text}\n` };
}
