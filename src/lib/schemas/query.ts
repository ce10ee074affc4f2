/**
 * Query strings: the REST API refuses a bad value with a 400 naming it; the admin pages'
 * filter forms drop it instead (a filter can never fail a page). Both read the same fields:
 * a page's schema is the API's fields made `lenient`.
 */
import { z } from 'zod';

/** A keyset cursor: a row id. */
export const idCursorSchema = z.coerce
	.number({ error: 'must be a number' })
	.int('must be a whole number')
	.positive('must be positive')
	.max(Number.MAX_SAFE_INTEGER, 'is too large');

/** Every field optional, and a value that does not parse dropped. */
export function lenient<S extends z.ZodRawShape>(shape: S) {
	const fields = Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, (s as z.ZodType).optional().catch(undefined)]));
	return z.object(fields as unknown as { [K in keyof S]: z.ZodCatch<z.ZodOptional<S[K]>> });
}
