import { describe, expect, it } from 'vitest';
import { EMPTY_JOB_FORM } from '../../admin/job-form';
import { ServiceError } from '../errors';
import { diff } from './audit';
import { createInput, FormFieldError, jobFormFailure, parseHeaders, readJobForm, updateInput } from './job-form';
import { instantToWallTime, wallTimeToInstant } from './zoned';

const form = (entries: Record<string, string>) => {
	const data = new FormData();
	for (const [k, v] of Object.entries(entries)) data.set(k, v);
	return data;
};

describe('job form', () => {
	it('reads every field, checkboxes by presence', () => {
		const v = readJobForm(form({ name: 'N', key: 'k-1', schedule: 'daily', url: 'https://x.test/', enabled: 'on' }));
		expect(v).toMatchObject({ name: 'N', key: 'k-1', schedule: 'daily', url: 'https://x.test/', enabled: true, followRedirects: false, method: '' });
	});

	it('builds the create payload: numbers, null zone, http params with headers', () => {
		const v = { ...EMPTY_JOB_FORM, name: 'N', key: ' k-1 ', schedule: 'daily', url: ' https://x.test/ ', headers: 'X-A: 1\n\nAuthorization: Bearer a:b', expectStatus: '204', timeoutMs: '1500', maxRetries: '' };
		expect(createInput(v)).toEqual({
			key: 'k-1',
			name: 'N',
			description: '',
			type: 'http',
			params: { url: 'https://x.test/', method: 'GET', headers: { 'X-A': '1', Authorization: 'Bearer a:b' }, expectStatus: 204, followRedirects: true },
			schedule: 'daily',
			timezone: null,
			enabled: true,
			timeoutMs: 1500,
			maxRetries: undefined,
			overlap: 'forbid',
			catchUp: 'once',
			catchUpMaxAgeMs: 86400000
		});
	});

	it('leaves a code job’s name, description and params to the code', () => {
		const v = { ...EMPTY_JOB_FORM, name: 'changed', schedule: 'hourly', timezone: 'Europe/Paris' };
		const input = updateInput(v, { source: 'code', type: 'code' });
		expect(input).not.toHaveProperty('name');
		expect(input).not.toHaveProperty('params');
		expect(input).toMatchObject({ schedule: 'hourly', timezone: 'Europe/Paris' });
	});

	it('rejects a header line without a name, naming the line', () => {
		expect(() => parseHeaders('X-Ok: 1\nnot a header')).toThrow(/line 2/);
		expect(() => parseHeaders(': v')).toThrow(FormFieldError);
	});

	it('maps service paths to the form’s fields and keeps the values', () => {
		const values = { ...EMPTY_JOB_FORM, url: 'ftp://x' };
		const err = new ServiceError(400, 'invalid_input', 'params.url: bad', [
			{ path: 'params.url', message: 'must be an http:// or https:// URL' },
			{ path: 'params.headers.X-Y', message: 'must be a string' },
			{ path: 'timeoutMs', message: 'must be at least 100' }
		]);
		const failure = jobFormFailure(err, values);
		expect(failure.status).toBe(400);
		expect(failure.data.errors).toEqual({ url: 'must be an http:// or https:// URL', headers: 'must be a string', timeoutMs: 'must be at least 100' });
		expect(failure.data.values.url).toBe('ftp://x');
		expect(jobFormFailure(new ServiceError(409, 'conflict', 'a job with key "x" already exists', [{ path: 'key', message: 'already exists' }]), values).status).toBe(409);
		expect(() => jobFormFailure(new Error('boom'), values)).toThrow('boom');
	});
});

describe('wall times in a zone', () => {
	it('reads a datetime-local value in the zone, across DST', () => {
		expect(wallTimeToInstant('2025-06-01T12:00', 'UTC')?.toISOString()).toBe('2025-06-01T12:00:00.000Z');
		expect(wallTimeToInstant('2025-06-01T12:00', 'Europe/Paris')?.toISOString()).toBe('2025-06-01T10:00:00.000Z');
		expect(wallTimeToInstant('2025-01-15T12:00:30', 'America/New_York')?.toISOString()).toBe('2025-01-15T17:00:30.000Z');
		// 02:30 does not exist in Paris on 2025-03-30: it lands after the gap.
		expect(wallTimeToInstant('2025-03-30T02:30', 'Europe/Paris')?.toISOString()).toBe('2025-03-30T01:30:00.000Z');
		expect(wallTimeToInstant('yesterday', 'UTC')).toBeNull();
		expect(instantToWallTime(new Date('2025-06-01T10:00:00Z'), 'Europe/Paris')).toBe('2025-06-01T12:00');
	});
});

describe('audit diff', () => {
	it('keeps only what changed, as JSON text', () => {
		expect(diff({ a: 1, b: 'x', c: [1] }, { a: 1, b: 'y', c: [1], d: null })).toEqual([
			{ field: 'b', before: '"x"', after: '"y"' },
			{ field: 'd', before: null, after: 'null' }
		]);
		expect(diff(null, { a: 1 })).toEqual([{ field: 'a', before: null, after: '1' }]);
		expect(diff({ status: 'running' }, null)).toEqual([{ field: 'status', before: '"running"', after: null }]);
	});
});
