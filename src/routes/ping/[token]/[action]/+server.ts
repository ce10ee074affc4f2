import { methodNotAllowed } from '$lib/server/api/route';
import { pingEndpoint } from '$lib/server/monitors/ping-http';
import type { RequestHandler } from './$types';

/** `/start`, `/fail`, or an exit code (0: success, else failure). */
const ping: RequestHandler = pingEndpoint();

export const GET = ping;
export const POST = ping;
export const fallback: RequestHandler = methodNotAllowed('GET', 'POST');
