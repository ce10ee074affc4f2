/**
 * Zod schemas of the device-session API, access keys and the outbox page (README, "Device
 * sessions and access keys", "Email"), shared by the routes, the forms and the CLI.
 */
import { z } from 'zod';
import { EMAIL_STATUSES } from '../names';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/**
 * Client applications may send fields of their own (app version …): the session API ignores
 * unknown fields rather than breaking older or newer clients.
 */
export const startSessionSchema = z.object({
	accessKey: z.string({ error: 'must be a string' }).min(1, 'is required').max(256, 'must be at most 256 characters'),
	deviceId: z.preprocess(
		(v) => (v === null ? undefined : emptyToUndefined(v)),
		z.string({ error: 'must be a string' }).trim().max(200, 'must be at most 200 characters').optional()
	)
});
export type StartSessionInput = z.input<typeof startSessionSchema>;

export const sessionRefSchema = z.object({
	sessionId: z.string({ error: 'must be a string' }).min(1, 'is required').max(200, 'must be at most 200 characters')
});

export const createAccessKeySchema = z.strictObject({
	label: z.preprocess(
		emptyToUndefined,
		z.string({ error: 'must be a string' }).trim().max(100, 'must be at most 100 characters').optional()
	),
	email: z.preprocess(
		emptyToUndefined,
		z.email({ error: 'must be an email address' }).max(254, 'must be at most 254 characters').optional()
	)
});
export type CreateAccessKeyInput = z.input<typeof createAccessKeySchema>;

/** Path ids are opaque text; anything longer than this cannot be one of ours. */
export const idParam = z.string().min(1, 'is required').max(100, 'must be at most 100 characters');

/** /admin/email filters (query string). */
export const outboxFilterSchema = z.object({
	status: z.preprocess(emptyToUndefined, z.enum(EMAIL_STATUSES).optional()).catch(undefined),
	before: z.preprocess(emptyToUndefined, z.coerce.number().int().positive().optional()).catch(undefined)
});
