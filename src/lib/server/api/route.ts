/** What every cron API route shares: auth, error handling, path and query parsing. */
import { json, type RequestEvent } from '@sveltejs/kit';
import { z } from 'zod';
import type { Actor } from '../audit/actor';
import { invalid, ServiceError } from '../errors';
import { queryObject } from '../forms';
import { requireApiActor } from './auth';
import { handle } from './json';

/** An authenticated API handler: the caller is checked before anything else runs. */
export function apiRoute<E extends RequestEvent>(
	fn: (event: E, actor: Actor) => Promise<Response>
): (event: E) => Promise<Response> {
	return handle<E>((event) => fn(event, requireApiActor(event)));
}

const idParam = z
	.string()
	.regex(/^[1-9][0-9]*$/, 'must be a positive integer')
	.transform(Number)
	.refine(Number.isSafeInteger, 'is too large');

/** A numeric path parameter (execution id): anything but a positive integer is a 400 naming it. */
export function positiveId(raw: string, name = 'id'): number {
	const parsed = idParam.safeParse(raw);
	if (!parsed.success) throw invalid(parsed.error, name);
	return parsed.data;
}

/** The query string as an object; empty values (`?status=`) count as absent. */
export const queryOf = (url: URL): Record<string, string> => queryObject(url.searchParams);

/** `fallback` for a route: other methods get a JSON 405 naming the allowed ones. */
export function methodNotAllowed(...allowed: string[]) {
	return handle(async ({ request }: Pick<RequestEvent, 'request' | 'url'>) => {
		const error = new ServiceError(405, 'method_not_allowed', `${request.method} is not allowed here; use ${allowed.join(', ')}`);
		return json(error.toJSON(), { status: 405, headers: { allow: allowed.join(', ') } });
	});
}
