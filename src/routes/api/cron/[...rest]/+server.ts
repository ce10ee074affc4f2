import { handle } from '$lib/server/api/json';
import { ServiceError } from '$lib/server/errors';
import type { RequestHandler } from './$types';

/** Unknown paths under the API answer in the API's error shape, not with the HTML error page. */
export const fallback: RequestHandler = handle(async ({ url }) => {
	throw new ServiceError(404, 'not_found', `no API endpoint at ${url.pathname}`);
});
