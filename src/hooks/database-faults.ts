/**
 * Database faults as a 503 (before the auth handle, which needs the database): the answer,
 * and which errors count, are in lib/server/unavailable.ts.
 */
import type { Handle } from '@sveltejs/kit';
import { unavailableCode } from '$lib/server/db/faults';
import { noteUnavailable, unavailableResponse, wasFaulted } from '$lib/server/unavailable';

/**
 * The handle (before the auth handle): a database fault thrown by a later handle, or reported
 * to `serverError` while the request was resolved, turns the response into the 503.
 */
export const databaseFaults: Handle = async ({ event, resolve }) => {
	let response: Response;
	try {
		response = await resolve(event);
	} catch (err) {
		const code = unavailableCode(err);
		if (!code) throw err;
		noteUnavailable(code, { method: event.request.method, path: event.url.pathname });
		return unavailableResponse(event);
	}
	if (!wasFaulted(event.locals)) return response;
	await response.body?.cancel();
	return unavailableResponse(event);
};
