/**
 * Date formatting shared by the UI (the Time component) and tests: relative ("in 5 minutes")
 * and absolute ("2025-03-30 02:30:00 GMT+2") in an explicit IANA zone, so the server render
 * and the browser agree whatever the machine's own zone.
 */

export type DateInput = Date | string | number;

export function toDate(value: DateInput): Date {
	return value instanceof Date ? value : new Date(value);
}

/** A database instant as the ISO 8601 text pages and the API carry; null stays null. */
export function iso(d: Date | null | undefined): string | null {
	return d ? d.toISOString() : null;
}

const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'always', style: 'long' });

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
	['year', 365 * 86_400_000],
	['month', 30 * 86_400_000],
	['day', 86_400_000],
	['hour', 3_600_000],
	['minute', 60_000],
	['second', 1_000]
];

/**
 * Which way an instant can lie: a `past` event (a finished run, a change) never reads "in 5
 * seconds" when the browser's clock lags the server's, a `future` one (a next run) never reads
 * "ago": it is "due now" until the page learns of the run.
 */
export type Tense = 'past' | 'future';

/** "just now", "in 5 seconds", "3 hours ago", relative to `now` (ms since epoch). */
export function formatRelative(value: DateInput, now: number = Date.now(), tense?: Tense): string {
	let diff = toDate(value).getTime() - now;
	if (tense === 'past') diff = Math.min(diff, 0);
	if (tense === 'future' && diff <= 0) return 'due now';
	const abs = Math.abs(diff);
	if (diff <= 0 && abs < 5_000) return 'just now';
	if (diff > 0 && abs < 1_000) return 'in 1 second';
	for (const [unit, ms] of UNITS) {
		if (abs >= ms || unit === 'second') return relativeFormat.format(Math.trunc(diff / ms), unit);
	}
	return 'just now';
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
	let f = formatters.get(timeZone);
	if (!f) {
		f = new Intl.DateTimeFormat('en-US', {
			timeZone,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit',
			hourCycle: 'h23',
			timeZoneName: 'shortOffset'
		});
		formatters.set(timeZone, f);
	}
	return f;
}

/** A short label of the zone at that instant: "UTC", or the offset ("GMT+2"). */
export function zoneLabel(value: DateInput, timeZone = 'UTC'): string {
	if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 'UTC';
	const part = formatter(timeZone)
		.formatToParts(toDate(value))
		.find((p) => p.type === 'timeZoneName');
	return part?.value === 'GMT' ? 'GMT+0' : (part?.value ?? timeZone);
}

/** The wall clock of an instant in `timeZone`: year, month, day, hour, minute, second (24 h), zone name. */
export function zonedParts(value: DateInput, timeZone: string): Partial<Record<Intl.DateTimeFormatPartTypes, string>> {
	const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
	for (const p of formatter(timeZone).formatToParts(toDate(value))) parts[p.type] = p.value;
	return parts;
}

/** "2025-03-30 02:30:00 GMT+2" in `timeZone` (default UTC); `seconds: false` drops seconds. */
export function formatAbsolute(value: DateInput, timeZone = 'UTC', opts: { seconds?: boolean } = {}): string {
	const parts = zonedParts(value, timeZone);
	const time = opts.seconds === false ? `${parts.hour}:${parts.minute}` : `${parts.hour}:${parts.minute}:${parts.second}`;
	return `${parts.year}-${parts.month}-${parts.day} ${time} ${zoneLabel(value, timeZone)}`;
}

/** A duration in ms as "850 ms", "12.3 s", "4 min 5 s", "2 h 3 min". */
export function formatDuration(ms: number | null | undefined): string {
	if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
	if (ms < 1_000) return `${Math.round(ms)} ms`;
	if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
	const totalS = Math.round(ms / 1_000);
	if (totalS < 3_600) return `${Math.floor(totalS / 60)} min ${totalS % 60} s`;
	const totalMin = Math.round(totalS / 60);
	return `${Math.floor(totalMin / 60)} h ${totalMin % 60} min`;
}
