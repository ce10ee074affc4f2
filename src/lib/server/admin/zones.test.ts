import { describe, expect, it } from 'vitest';
import { zoneChoices } from './zones';

describe('the forms’ time zones', () => {
	it('offer the current IANA names, which Node 20’s own list lacks', () => {
		const values = zoneChoices().map((z) => z.value);
		expect(values).toContain('Asia/Kolkata');
		expect(values).toContain('Europe/Kyiv');
		expect(values[0]).toBe('UTC');
	});

	it('keep a stored name the list lacks, as it is', () => {
		const choices = zoneChoices('Asia/Calcutta');
		expect(choices[0]).toEqual({ value: 'Asia/Calcutta', label: 'Asia/Calcutta (as stored)' });
		expect(zoneChoices('Asia/Kolkata').filter((z) => z.value === 'Asia/Kolkata')).toHaveLength(1);
	});
});
