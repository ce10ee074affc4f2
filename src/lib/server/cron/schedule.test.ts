import { Cron } from 'croner';
import { describe as group, expect, it, vi } from 'vitest';
import { compileSchedule, nextRun, nextRuns, preview, previousRuns, ScheduleError, substituteEnv, toCronPattern } from './schedule';

function fieldOf(expr: string, tz = 'UTC'): string {
	try {
		compileSchedule(expr, tz);
	} catch (err) {
		if (err instanceof ScheduleError) return err.field;
		throw err;
	}
	return 'valid';
}

group('schedule syntax', () => {
	it.each([
		['hourly', '0 * * * *'],
		['daily', '0 0 * * *'],
		['weekly', '0 0 * * 0'],
		['@hourly', '0 * * * *'],
		['@daily', '0 0 * * *'],
		['@weekly', '0 0 * * 0'],
		['@monthly', '0 0 1 * *'],
		['@yearly', '0 0 1 1 *'],
		['every_5_minutes', '*/5 * * * *'],
		['every_2_hours', '0 */2 * * *'],
		['  */10   * * * * ', '*/10 * * * *']
	])('%s → %s', (expr, pattern) => {
		expect(toCronPattern(expr)).toBe(pattern);
	});

	it('accepts 6 fields with seconds and croner extensions', () => {
		for (const expr of ['*/5 * * * * *', '0 0 L * *', '0 0 * * 5#2', '0 0 15W * *', '0 0 * * 5L']) {
			expect(fieldOf(expr), expr).toBe('valid');
		}
	});

	it.each([
		['61 * * * *', 'minute'],
		['* 24 * * *', 'hour'],
		['* * 32 * *', 'day of month'],
		['* * * 13 *', 'month'],
		['* * * * 9', 'day of week'],
		['99 * * * * *', 'second'],
		['* * *', 'schedule'],
		['every_0_minutes', 'minute'],
		['every_99_hours', 'hour'],
		['@sometimes', 'schedule'],
		['', 'schedule']
	])('rejects %j naming the %s field', (expr, field) => {
		expect(fieldOf(expr)).toBe(field);
	});

	it('rejects an unknown zone naming the timezone field', () => {
		expect(fieldOf('* * * * *', 'Mars/Base')).toBe('timezone');
	});

	it('substitutes ${NAME} and rejects an unset one', () => {
		expect(substituteEnv('*/${N} * * * *', { N: '7' })).toBe('*/7 * * * *');
		expect(() => substituteEnv('${MISSING_VAR} * * * *', {})).toThrow(/MISSING_VAR/);
	});
	it('previews with description and next runs strictly after from', () => {
		const p = preview('*/15 * * * *', 'UTC', 3, new Date('2026-01-01T00:00:00Z'));
		expect(p).toEqual({
			valid: true,
			pattern: '*/15 * * * *',
			timezone: 'UTC',
			description: 'Every 15 minutes',
			nextRuns: ['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z', '2026-01-01T00:45:00.000Z']
		});
		expect(preview('70 * * * *', 'UTC')).toMatchObject({ valid: false, field: 'minute' });
	});

	it('lists previous runs most recent first', () => {
		const s = compileSchedule('0 * * * *', 'UTC');
		expect(previousRuns(s, 2, new Date('2026-01-01T05:30:00Z')).map((d) => d.toISOString())).toEqual([
			'2026-01-01T05:00:00.000Z',
			'2026-01-01T04:00:00.000Z'
		]);
	});
});

group('compiled from an instant (boot)', () => {
	it('keeps the first run after `from` in whole milliseconds, so a next run asked at that instant reuses it', () => {
		// A database instant in milliseconds has a fraction (PostgreSQL keeps microseconds).
		const from = Date.parse('2026-03-01T10:00:00Z') + 0.25;
		const s = compileSchedule('30 9 * * 1', 'Europe/Paris', undefined, from);
		const next = Date.parse('2026-03-02T08:30:00Z');
		expect(s.known).toEqual({ from: Date.parse('2026-03-01T10:00:00Z'), next });
		expect(nextRun(s, new Date(from))?.getTime()).toBe(next);
		// Any instant in [from, next) has the same answer; after it, the schedule walks on.
		expect(nextRun(s, new Date(next - 1))?.getTime()).toBe(next);
		expect(nextRun(s, new Date(next))?.toISOString()).toBe('2026-03-09T08:30:00.000Z');
	});
});

group('croner, as patched (patches/croner+11.0.1.patch)', () => {
	it('shares one year table between patterns without a year instead of 10,000 numbers each', () => {
		type Internals = { _states: { pattern: { year: ArrayLike<number> } } };
		const a = new Cron('0 12 * * *', { paused: true, timezone: 'UTC' }) as unknown as Internals;
		const b = new Cron('*/5 * * * *', { paused: true, timezone: 'Asia/Tokyo' }) as unknown as Internals;
		expect(a._states.pattern.year).toBeInstanceOf(Uint8Array);
		expect(a._states.pattern.year).toBe(b._states.pattern.year);
	});

	it('still honours a year field (7-part patterns, which the app does not accept)', () => {
		const c = new Cron('0 0 0 1 1 * 2031-2035/2', { paused: true, mode: '7-part', timezone: 'UTC' });
		expect(c.nextRuns(4, new Date('2026-12-01T00:00:00Z')).map((d) => d.toISOString())).toEqual([
			'2031-01-01T00:00:00.000Z',
			'2033-01-01T00:00:00.000Z',
			'2035-01-01T00:00:00.000Z'
		]);
		expect(new Cron('0 12 * * *', { paused: true, timezone: 'UTC' }).nextRun(new Date('2026-12-01T00:00:00Z'))?.toISOString()).toBe('2026-12-01T12:00:00.000Z');
	});
});

group('croner zone conversions, as patched (patches/croner+11.0.1.patch)', () => {
	/** Wall time of an instant in a zone, by Intl alone (the reference). */
	const wall = (zone: string, at: Date) => {
		const f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: 'numeric', minute: 'numeric', second: 'numeric', hour12: false });
		const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
		return `${Number(p.hour) % 24}:${p.minute}:${p.second}`;
	};
	const ZONES = ['Europe/Paris', 'America/Santiago', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kathmandu', 'America/St_Johns'];

	it('reads an offset per zone and hour from Intl once, not at every step of a walk', () => {
		const spy = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
		try {
			const from = new Date('2031-06-01T00:00:00Z');
			for (let m = 0; m < 60; m++) new Cron(`${m} 9 * * *`, { paused: true, timezone: 'Europe/Lisbon' }).nextRuns(3, from);
			// 180 runs a few days apart: without the cache, tens of calls each.
			expect(spy.mock.calls.length).toBeLessThan(200);
		} finally {
			spy.mockRestore();
		}
	});

	it.each(ZONES)('finds the wall times Intl finds at random instants over three years, DST days included (%s)', (zone) => {
		let seed = 12345;
		const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
		const cron = new Cron('30 2 * * *', { paused: true, timezone: zone, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard' });
		for (let i = 0; i < 2000; i++) {
			const at = new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 3 * 365 * 86_400_000));
			const next = cron.nextRun(at)!;
			expect(next.getTime()).toBeGreaterThan(at.getTime());
			expect(next.getTime() - at.getTime()).toBeLessThanOrEqual(26 * 3_600_000);
			// 02:30 each day, or 03:00 (the first instant after the gap) on a spring-forward day that skips it.
			const w = wall(zone, next);
			expect(['2:30:00', '3:00:00']).toContain(w);
			if (w === '3:00:00') expect(wall(zone, new Date(next.getTime() - 1000))).toBe('1:59:59');
		}
	});
});

/** Runs of `expr` in `tz` between two instants. */
function runsBetween(expr: string, tz: string, fromIso: string, toIso: string): string[] {
	const s = compileSchedule(expr, tz);
	const out: string[] = [];
	let t = new Date(fromIso);
	const end = new Date(toIso).getTime();
	for (;;) {
		const n = nextRun(s, t);
		if (!n || n.getTime() > end) return out;
		out.push(n.toISOString());
		t = n;
	}
}

function gapsMinutes(runs: string[]): number[] {
	return runs.slice(1).map((r, i) => (Date.parse(r) - Date.parse(runs[i]!)) / 60_000);
}

/**
 * DST corpus: each zone's spring-forward and fall-back day. A fixed wall time inside the gap runs
 * once at the first instant after it; a repeated wall time runs once, at its first occurrence;
 * interval schedules keep their real-time spacing.
 */
const CORPUS = [
	// zone, day of spring-forward (local, UTC bounds), gap wall time, day of fall-back, repeated wall time
	{ zone: 'Europe/Berlin', spring: ['2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z'], gapTime: '30 2 * * *', fall: ['2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z'], repeatTime: '30 2 * * *' },
	{ zone: 'America/New_York', spring: ['2026-03-07T12:00:00Z', '2026-03-08T16:00:00Z'], gapTime: '30 2 * * *', fall: ['2026-10-31T12:00:00Z', '2026-11-01T16:00:00Z'], repeatTime: '30 1 * * *' },
	{ zone: 'America/Santiago', spring: ['2026-09-05T12:00:00Z', '2026-09-06T16:00:00Z'], gapTime: '30 0 * * *', fall: ['2026-04-04T12:00:00Z', '2026-04-05T16:00:00Z'], repeatTime: '30 23 * * *' },
	{ zone: 'Africa/Cairo', spring: ['2026-04-23T12:00:00Z', '2026-04-24T12:00:00Z'], gapTime: '30 0 * * *', fall: ['2026-10-29T12:00:00Z', '2026-10-30T06:00:00Z'], repeatTime: '30 23 * * *' },
	{ zone: 'Australia/Lord_Howe', spring: ['2026-10-03T12:00:00Z', '2026-10-04T12:00:00Z'], gapTime: '15 2 * * *', fall: ['2026-04-04T12:00:00Z', '2026-04-05T12:00:00Z'], repeatTime: '45 1 * * *' }
];

function offsetMinutes(zone: string, at: Date): number {
	const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(at);
	const name = parts.find((p) => p.type === 'timeZoneName')!.value; // GMT+10:30
	const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
	return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

group.each(CORPUS)('DST in $zone', ({ zone, spring, gapTime, fall, repeatTime }) => {
	it('has a transition inside each window (the corpus is right)', () => {
		expect(offsetMinutes(zone, new Date(spring[0]!))).not.toBe(offsetMinutes(zone, new Date(spring[1]!)));
		expect(offsetMinutes(zone, new Date(fall[0]!))).not.toBe(offsetMinutes(zone, new Date(fall[1]!)));
	});

	it('spring-forward: a wall time in the gap runs once, right after the gap (no lost run)', () => {
		const runs = runsBetween(gapTime, zone, spring[0]!, spring[1]!);
		expect(runs).toHaveLength(1);
		// The run is at an instant whose offset is already the new one, the first after the gap.
		const at = new Date(runs[0]!);
		expect(offsetMinutes(zone, at)).toBe(offsetMinutes(zone, new Date(spring[1]!)));
		expect(offsetMinutes(zone, new Date(at.getTime() - 60_000))).toBe(offsetMinutes(zone, new Date(spring[0]!)));
	});

	it('fall-back: a repeated wall time runs once, at its first occurrence (no double run)', () => {
		const runs = runsBetween(repeatTime, zone, fall[0]!, fall[1]!);
		expect(runs).toHaveLength(1);
		expect(offsetMinutes(zone, new Date(runs[0]!))).toBe(offsetMinutes(zone, new Date(fall[0]!)));
	});

	it('interval schedules keep their real-time spacing through both transitions', () => {
		for (const [from, to] of [spring, fall]) {
			const runs = runsBetween('*/15 * * * *', zone, from!, to!);
			const gaps = gapsMinutes(runs);
			// Whole-hour shifts keep exactly 15 min; Lord Howe's half hour keeps the quarter-hour grid.
			expect(Math.max(...gaps), `${zone} ${from}`).toBeLessThanOrEqual(15);
			expect(Math.min(...gaps)).toBeGreaterThanOrEqual(15);
			// Real time elapsed / 15 min: nothing lost, nothing doubled.
			expect(runs.length).toBe(Math.floor((Date.parse(to!) - Date.parse(from!)) / 900_000));
		}
	});
});

group('nextRuns', () => {
	it('returns n ascending instants', () => {
		const s = compileSchedule('*/5 * * * * *', 'UTC');
		const runs = nextRuns(s, 4, new Date('2026-01-01T00:00:00Z')).map((d) => d.toISOString());
		expect(runs).toEqual(['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:10.000Z', '2026-01-01T00:00:15.000Z', '2026-01-01T00:00:20.000Z']);
	});
});

group('${NAME} never leaks the environment', () => {
	const SECRET = 'leak-me-0123456789abcdef';
	const env = { CRON_SECRET: SECRET, ADMIN_PASSWORD: SECRET, REPORT_CRON: '30 2 * * *', MINUTES: '61' };
	const thrown = (fn: () => unknown): ScheduleError => {
		try {
			fn();
		} catch (err) {
			if (err instanceof ScheduleError) return err;
			throw err;
		}
		throw new Error('did not throw');
	};

	it.each(['@${CRON_SECRET}', '${ADMIN_PASSWORD} * * * *', '*/${REPORT_CRON} * * * *', '$ * * * *'])(
		'refuses "%s" without the environment, naming the schedule field',
		(expr) => {
			const err = thrown(() => compileSchedule(expr, 'UTC'));
			expect(err.field).toBe('schedule');
			expect(err.message).toBe('must not contain "$": ${NAME} is read from the environment only for schedules declared in code');
		}
	);

	it('previews never read process.env, even when the variable is set there', () => {
		process.env.CRONKIT_TEST_LEAK = SECRET;
		try {
			const p = preview('@${CRONKIT_TEST_LEAK}', 'UTC');
			expect(p).toMatchObject({ valid: false, field: 'schedule' });
			expect(JSON.stringify(p)).not.toContain(SECRET);
		} finally {
			delete process.env.CRONKIT_TEST_LEAK;
		}
	});

	it('compiles a code schedule from the given environment', () => {
		const s = compileSchedule('${REPORT_CRON}', 'UTC', env);
		expect(s).toMatchObject({ expr: '${REPORT_CRON}', pattern: '30 2 * * *' });
		expect(nextRun(s, new Date('2026-01-01T00:00:00Z'))?.toISOString()).toBe('2026-01-01T02:30:00.000Z');
	});

	it.each([
		['@${CRON_SECRET}', 'schedule', 'the value of @${CRON_SECRET} from the environment is not a valid schedule (the value is not shown)'],
		['${ADMIN_PASSWORD} * * * *', 'minute', 'the value of ${ADMIN_PASSWORD} * * * * from the environment has an invalid minute field (the value is not shown)'],
		['${MINUTES} * * * *', 'minute', 'the value of ${MINUTES} * * * * from the environment has an invalid minute field (the value is not shown)']
	])('reports a bad value of %s by its name and field, never the value', (expr, field, message) => {
		const err = thrown(() => compileSchedule(expr, 'UTC', env));
		expect(err).toMatchObject({ field, message });
		expect(err.message).not.toContain(SECRET);
		expect(err.message).not.toContain('61');
	});
});

group('nextRun remembers its last answer', () => {
	it('answers as croner does, in any order of instants, across DST changes', () => {
		const fresh = (pattern: string, zone: string, t: number) => new Cron(pattern, { paused: true, timezone: zone, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard' }).nextRun(new Date(t))?.getTime() ?? null;
		const start = Date.parse('2026-03-27T00:00:00Z'); // Europe/Paris springs forward on the 29th
		for (const [pattern, zone] of [
			['30 2 * * *', 'Europe/Paris'],
			['*/20 * * * *', 'America/New_York'],
			['0 0 1 * *', 'Asia/Kolkata']
		] as const) {
			const s = compileSchedule(pattern, zone);
			// Forwards, backwards and jumping: a remembered window must never answer wrongly.
			const instants = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => start + i * 7_777_777);
			for (const t of [...instants, ...instants.reverse(), start + 3 * 86_400_000, start - 1, start + 86_400_000 * 40]) {
				expect(nextRun(s, new Date(t))?.getTime() ?? null, `${pattern} ${zone} after ${new Date(t).toISOString()}`).toBe(fresh(pattern, zone, t));
			}
		}
	});
});
