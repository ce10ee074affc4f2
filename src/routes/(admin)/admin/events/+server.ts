import { requireUser } from '$lib/server/auth/guard';
import { liveHub } from '$lib/server/admin/live';
import type { RequestHandler } from './$types';

/** Live updates of runs, jobs and settings for the admin pages (Server-Sent Events). */
export const GET: RequestHandler = async (event) => {
	requireUser(event);
	let body: ReadableStream<Uint8Array>;
	try {
		body = await liveHub().subscribe(event.request.signal);
	} catch {
		// shutting down (or the database is unreachable): the browser retries on its own
		return new Response('live updates unavailable\n', { status: 503, headers: { 'retry-after': '3', 'cache-control': 'no-store' } });
	}
	return new Response(body, {
		headers: {
			'content-type': 'text/event-stream; charset=utf-8',
			'cache-control': 'no-store',
			// Proxies (nginx) must pass events through as they come.
			'x-accel-buffering': 'no'
		}
	});
};
