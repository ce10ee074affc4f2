import { describe, expect, it } from 'vitest';
import { typedValue } from './typed-value.svelte';

describe('a form control’s value on a live page', () => {
	it('shows the given value until something is typed', () => {
		let given = 'nightly';
		const field = typedValue(() => given);
		expect(field.current).toBe('nightly');
		given = 'weekly';
		expect(field.current).toBe('weekly');
	});

	it('keeps what was typed while the given value is re-evaluated to the same thing', () => {
		const data = { values: { key: '' } };
		const field = typedValue(() => data.values.key);
		field.current = 'nightly-backup';
		// A live update re-runs the load: a new object, the same value.
		data.values = { key: '' };
		expect(field.current).toBe('nightly-backup');
	});

	it('takes a given value that really changed (saved elsewhere, or a form result) over what was typed', () => {
		let given = 'Ops hook';
		const field = typedValue(() => given);
		field.current = 'Ops hook 2';
		given = 'Ops pager';
		expect(field.current).toBe('Ops pager');
		// Typing again holds against the new given value.
		field.current = 'Ops pager (night)';
		expect(field.current).toBe('Ops pager (night)');
		given = 'Ops pager';
		expect(field.current).toBe('Ops pager (night)');
	});

	it('compares with Object.is: NaN and null given values are the same value again', () => {
		let given: number | null = null;
		const field = typedValue(() => given);
		field.current = 5;
		given = null;
		expect(field.current).toBe(5);
		given = Number.NaN;
		expect(field.current).toBeNaN();
		field.current = 6;
		given = Number.NaN;
		expect(field.current).toBe(6);
	});
});
