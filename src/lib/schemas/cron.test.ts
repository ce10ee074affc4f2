import { describe, expect, it } from 'vitest';
import { defineJob } from '../server/cron/types';
import { invalid } from '../server/errors';
import { createJobSchema, jobKeySchema } from './cron';

const RESERVED = ['new', 'executions', 'settings'];

describe('job keys', () => {
	it.each(RESERVED)('refuses "%s", the name of an admin page under /admin/cron', (key) => {
		const parsed = jobKeySchema.safeParse(key);
		expect(parsed.error?.issues.map((i) => i.message)).toEqual([`is reserved for the admin page /admin/cron/${key}`]);
	});

	it('accepts slugs that only contain a reserved word', () => {
		for (const key of ['new-job', 'newsletter', 'settings-sync', 'old-executions']) expect(jobKeySchema.safeParse(key).success).toBe(true);
	});

	it('answers the API with a 400 naming the key field', () => {
		const parsed = createJobSchema.safeParse({ key: 'settings', name: 'S', type: 'http', schedule: 'daily' });
		const err = invalid(parsed.error!);
		expect(err.status).toBe(400);
		expect(err.message).toBe('key: is reserved for the admin page /admin/cron/settings');
		expect(err.issues).toEqual([{ path: 'key', message: 'is reserved for the admin page /admin/cron/settings' }]);
	});

	it('refuses a code job with a reserved key, naming the job and the field', () => {
		expect(() => defineJob({ key: 'executions', name: 'E', schedule: 'daily', handler: () => undefined })).toThrow(
			'code job "executions": key is reserved for the admin page /admin/cron/executions'
		);
	});
});
