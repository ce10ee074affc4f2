import { json } from '@sveltejs/kit';
import { handle, readJson } from '$lib/server/api/json';
import { methodNotAllowed } from '$lib/server/api/route';
import { RateLimited, startSession } from '$lib/server/devices/sessions';
import type { RequestEvent, RequestHandler } from './$types';

/** Public (the access key is the credential), throttled per client IP (README, "Session API"). */
export const POST: RequestHandler = handle(async (event: RequestEvent) => {
	try {
		const started = await startSession(event.locals.services.sql, await readJson(event.request), event.getClientAddress());
		return json(started, { status: 201 });
	} catch (err) {
		if (!(err instanceof RateLimited)) throw err;
		return json(err.toJSON(), { status: 429, headers: { 'retry-after': String(err.retryAfterSeconds) } });
	}
});

export const fallback: RequestHandler = methodNotAllowed('POST');
