import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../tests/helpers/clock';
import { Deadlines } from './deadlines';

function setup() {
	const clock = new ManualClock();
	const due: string[][] = [];
	const d = new Deadlines({ clock, time: { now: () => clock.now() }, onDue: (keys) => due.push(keys) });
	d.start();
	return { clock, d, due, at: (ms: number) => clock.now() + ms };
}

describe('monitor deadlines', () => {
	it('one timer for all keys: each falls due at its instant, keys due together come in one batch', () => {
		const { clock, d, due, at } = setup();
		d.set('a', at(1_000));
		d.set('b', at(3_000));
		d.set('c', at(3_000));
		expect(clock.pending).toBe(1);
		clock.advance(999);
		expect(due).toEqual([]);
		clock.advance(1);
		expect(due).toEqual([['a']]);
		clock.advance(2_000);
		expect(due.map((batch) => [...batch].sort())).toEqual([['a'], ['b', 'c']]);
		expect(d.size).toBe(0);
		expect(clock.pending).toBe(0);
	});

	it('setting a key again replaces its deadline (a ping moves it later); null removes it', () => {
		const { clock, d, due, at } = setup();
		d.set('a', at(1_000));
		d.set('a', at(5_000));
		d.set('b', at(2_000));
		d.set('b', null);
		clock.advance(4_999);
		expect(due).toEqual([]);
		clock.advance(1);
		expect(due).toEqual([['a']]);
	});

	it('a reload keeps the deadlines set after it began', () => {
		const { clock, d, due, at } = setup();
		d.set('old', at(1_000));
		const since = d.generation;
		d.set('fresh', at(2_000));
		d.reset([['old', at(1_500)]], since);
		expect(d.get('old')).toBe(at(1_500));
		expect(d.get('fresh')).toBe(at(2_000));
		clock.advance(2_000);
		expect(due).toEqual([['old'], ['fresh']]);
	});

	it('far deadlines are slept on in steps of at most an hour', () => {
		const { clock, d, due, at } = setup();
		d.set('far', at(3 * 3600_000));
		clock.advance(3 * 3600_000 - 1);
		expect(due).toEqual([]);
		clock.advance(1);
		expect(due).toEqual([['far']]);
	});
});
