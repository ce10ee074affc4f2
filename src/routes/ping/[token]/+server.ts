import { methodNotAllowed } from '$lib/server/api/route';
import { pingEndpoint } from '$lib/server/monitors/ping-http';
import type { RequestHandler } from './$types';

/** A success ping (README.md#push-monitors): the token is the only credential. */
const ping: RequestHandler = pingEndpoint();

export const GET = ping;
export const POST = ping;
export const fallback: RequestHandler = methodNotAllowed('GET', 'POST');
