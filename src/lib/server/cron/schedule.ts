/**
 * Schedules (README, "Schedules"): parsing, validation that names the faulty field, next-run arithmetic
 * and human-readable descriptions. croner does the calendar arithmetic (including DST: fixed
 * wall times run once, interval schedules keep their real-time spacing); timers are ours.
 */
import { Cron } from 'croner';
import cronstrue from 'cronstrue';
import { isValidTimeZone } from '../config';

const NICKNAMES: Record<string, string> = {
	'@yearly': '0 0 1 1 *',
	'@annually': '0 0 1 1 *',
	'@monthly': '0 0 1 * *',
	'@weekly': '0 0 * * 0',
	'@daily': '0 0 * * *',
	'@midnight': '0 0 * * *',
	'@hourly': '0 * * * *',
	hourly: '0 * * * *',
	daily: '0 0 * * *',
	weekly: '0 0 * * 0'
};

const FIELD_NAMES_5 = ['minute', 'hour', 'day of month', 'month', 'day of week'];
const FIELD_NAMES_6 = ['second', ...FIELD_NAMES_5];
const FIELD_RANGES: Record<string, [number, number]> = {
	second: [0, 59],
	minute: [0, 59],
	hour: [0, 23],
	'day of month': [1, 31],
	month: [1, 12],
	'day of week': [0, 7]
};

export class ScheduleError extends Error {
	override name = 'ScheduleError';
	/** The faulty part: a cron field name, `schedule` or `timezone`. */
	constructor(
		message: string,
		readonly field: string
	) {
		super(message);
	}
}

/** `${NAME}` references in a schedule. */
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * `${NAME}` replaced from `env`; an unset one is an error naming it (never its value: no
 * message ever carries what the environment holds).
 */
export function substituteEnv(expr: string, env: Record<string, string | undefined>): string {
	return expr.replace(ENV_REF, (_, name: string) => {
		const value = env[name];
		if (value === undefined || value === '') {
			throw new ScheduleError(`environment variable ${name} used in the schedule is not set`, 'schedule');
		}
		return value;
	});
}

/**
 * Refuses a `$` in a schedule that is not read with the environment: submitted schedules (UI,
 * API, preview) never read it, so `${CRON_SECRET}` there cannot reveal anything.
 */
function refuseEnvReference(expr: string): void {
	if (expr.includes('$')) {
		throw new ScheduleError('must not contain "$": ${NAME} is read from the environment only for schedules declared in code', 'schedule');
	}
}

/** Shorthands and nicknames to a plain cron pattern (5 or 6 fields). */
export function toCronPattern(expr: string): string {
	const trimmed = expr.trim().replace(/\s+/g, ' ');
	if (!trimmed) throw new ScheduleError('schedule is empty', 'schedule');
	// Own keys only: `constructor` or `toString` must not find Object.prototype's.
	const nick = Object.hasOwn(NICKNAMES, trimmed.toLowerCase()) ? NICKNAMES[trimmed.toLowerCase()] : undefined;
	if (nick) return nick;
	const every = /^every_(\d+)_(minutes|hours)$/i.exec(trimmed);
	if (every) {
		const n = Number(every[1]);
		const unit = every[2]!.toLowerCase();
		const max = unit === 'minutes' ? 59 : 23;
		if (n < 1 || n > max) {
			throw new ScheduleError(`every_N_${unit}: N must be between 1 and ${max}`, unit === 'minutes' ? 'minute' : 'hour');
		}
		return unit === 'minutes' ? `*/${n} * * * *` : `0 */${n} * * *`;
	}
	if (trimmed.startsWith('@') || trimmed.startsWith('every_')) {
		throw new ScheduleError(`unknown schedule shorthand "${trimmed}"`, 'schedule');
	}
	return trimmed;
}

function fieldNames(pattern: string): string[] {
	const parts = pattern.split(' ');
	if (parts.length !== 5 && parts.length !== 6) {
		throw new ScheduleError(
			`expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds, got ${parts.length}`,
			'schedule'
		);
	}
	return parts.length === 6 ? FIELD_NAMES_6 : FIELD_NAMES_5;
}

/**
 * After croner rejected a pattern: finds the field it objects to, so the message can name it
 * (each field alone in an otherwise all-wildcard pattern). Only on the error path: every probe
 * is a croner object of ~80 KB.
 */
function blameField(pattern: string): void {
	const parts = pattern.split(' ');
	const names = fieldNames(pattern);
	parts.forEach((part, i) => {
		const field = names[i]!;
		const [lo, hi] = FIELD_RANGES[field]!;
		const probe = ['*', '*', '*', '*', '*', '*'];
		probe[i + (parts.length === 5 ? 1 : 0)] = part;
		try {
			new Cron(probe.join(' '), { paused: true, mode: '5-or-6-parts' });
		} catch (err) {
			const why = (err as Error).message.replace(/^CronPattern: /, '');
			throw new ScheduleError(`invalid ${field} field "${part}" (allowed ${lo}-${hi}): ${why}`, field);
		}
	});
}

export type CompiledSchedule = {
	/** The expression as stored (shorthands, ${VARS}). */
	expr: string;
	/** The cron pattern croner runs (with `${NAME}` substituted: it stays inside the process). */
	pattern: string;
	timezone: string;
	/**
	 * The last next-run worked out for this schedule: no fire in [from, next). A next run asked
	 * for inside that window is `next` without croner (each costs tens of microseconds in a
	 * zone, and boot asks several per job).
	 */
	known?: { from: number; next: number };
};

/** (pattern, zone) pairs already known to be valid: boot compiles every job's schedule. */
const validated = new Set<string>();

/**
 * Validates an expression and zone; throws ScheduleError naming the faulty field. Validation
 * works out the first run after `from` (default now) and keeps it (`known`): boot passes the
 * instant a job's owed ticks start, so that one zone walk answers both "is a tick owed?" and
 * "when is the next run?" (scheduler.ts, `start`). With `env`
 * (schedules declared in code), `${NAME}` is substituted from it and a faulty result is reported
 * as `${NAME}` and the field, never with the value; without it, a `$` is an error.
 */
export function compileSchedule(expr: string, timezone: string, env?: Record<string, string | undefined>, from = Date.now()): CompiledSchedule {
	if (!isValidTimeZone(timezone)) throw new ScheduleError(`unknown time zone "${timezone}"`, 'timezone');
	if (env === undefined) {
		refuseEnvReference(expr);
		return compilePattern(expr, timezone, expr, from);
	}
	const substituted = substituteEnv(expr, env);
	if (substituted === expr) return compilePattern(expr, timezone, expr, from);
	try {
		return compilePattern(substituted, timezone, expr, from);
	} catch (err) {
		if (!(err instanceof ScheduleError)) throw err;
		const what = err.field === 'schedule' ? 'is not a valid schedule' : `has an invalid ${err.field} field`;
		throw new ScheduleError(`the value of ${expr.trim()} from the environment ${what} (the value is not shown)`, err.field);
	}
}

function compilePattern(source: string, timezone: string, expr: string, from: number): CompiledSchedule {
	const pattern = toCronPattern(source);
	const key = `${timezone}\u0000${pattern}`;
	if (validated.has(key)) return { expr, pattern, timezone };
	fieldNames(pattern);
	// Whole milliseconds, as `nextRun` compares them (a database instant has microseconds).
	const at = new Date(from);
	let next: Date | null;
	try {
		next = cronFor(pattern, timezone).nextRun(at);
		if (!next) throw new ScheduleError('schedule never fires', 'schedule');
	} catch (err) {
		if (err instanceof ScheduleError) throw err;
		blameField(pattern);
		throw new ScheduleError(`invalid schedule: ${(err as Error).message.replace(/^CronPattern: /, '')}`, 'schedule');
	}
	if (validated.size > 50_000) validated.clear();
	validated.add(key);
	return { expr, pattern, timezone, known: { from: at.getTime(), next: next.getTime() } };
}

/**
 * A small LRU of compiled croner objects. Each costs about 80 KB of heap, so one per job would
 * cost 800 MB at 10,000 jobs; jobs share entries by (pattern, zone), and misses recompile
 * (~70 µs).
 */
const CACHE_SIZE = 64;
const cache = new Map<string, Cron>();

function cronFor(pattern: string, timezone: string): Cron {
	const key = `${timezone}\u0000${pattern}`;
	let cron = cache.get(key);
	if (cron) {
		cache.delete(key);
	} else {
		// UTC needs no zone database: croner's Intl path is ~18x slower than a fixed offset.
		const zone = timezone === 'UTC' || timezone === 'Etc/UTC' ? { utcOffset: 0 } : { timezone };
		cron = new Cron(pattern, { paused: true, ...zone, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard' });
		if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
	}
	cache.set(key, cron);
	return cron;
}

/** The first fire instant strictly after `after`, or null if the schedule never fires again. */
export function nextRun(s: Pick<CompiledSchedule, 'pattern' | 'timezone' | 'known'>, after: Date): Date | null {
	const t = after.getTime();
	const k = s.known;
	if (k && k.from <= t && t < k.next) return new Date(k.next);
	const next = cronFor(s.pattern, s.timezone).nextRun(after);
	if (next) {
		const n = next.getTime();
		// Widen the window when this answer extends it, else keep the newest.
		s.known = k && k.next === n ? { from: Math.min(k.from, t), next: n } : { from: t, next: n };
	}
	return next;
}

export function nextRuns(s: Pick<CompiledSchedule, 'pattern' | 'timezone'>, count: number, after: Date): Date[] {
	return cronFor(s.pattern, s.timezone).nextRuns(count, after);
}

/** Up to `count` fire instants strictly before `before`, most recent first. */
export function previousRuns(s: Pick<CompiledSchedule, 'pattern' | 'timezone'>, count: number, before: Date): Date[] {
	return cronFor(s.pattern, s.timezone).previousRuns(count, before);
}

export function describe(pattern: string): string {
	try {
		return cronstrue.toString(pattern, { use24HourTimeFormat: true, verbose: false });
	} catch {
		return pattern;
	}
}

export type Preview =
	| { valid: true; pattern: string; description: string; timezone: string; nextRuns: string[] }
	| { valid: false; error: string; field: string };

/**
 * Description and next runs of a submitted expression, for the API and the edit form: never
 * read with the environment (a `$` is an error).
 */
export function preview(expr: string, timezone: string, count = 5, from = new Date()): Preview {
	try {
		const s = compileSchedule(expr, timezone);
		return {
			valid: true,
			pattern: s.pattern,
			timezone,
			description: describe(s.pattern),
			nextRuns: nextRuns(s, count, from).map((d) => d.toISOString())
		};
	} catch (err) {
		if (err instanceof ScheduleError) return { valid: false, error: err.message, field: err.field };
		throw err;
	}
}
