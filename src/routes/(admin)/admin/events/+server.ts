import { requireUser } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

/**
 * Live updates for the admin pages (Server-Sent Events: runs, jobs, settings, device sessions,
 * the outbox), until the login session ends or its user's role changes. `?heartbeats=1`: the
 * page shows heartbeat times (/admin/sessions). `?since=<ms>`: when the page's data was read;
 * the stream starts with a catch-up message if anything changed from then on.
 */
export const GET: RequestHandler = async (event) => {
	const user = requireUser(event);
	let body: ReadableStream<Uint8Array>;
	try {
		const owner = event.locals.sessionId ? { sessionId: event.locals.sessionId, role: user.role } : undefined;
		const heartbeats = event.url.searchParams.get('heartbeats') === '1';
		// When the page's data was read (the admin layout's `liveSince`); anything else is ignored.
		const sinceParam = event.url.searchParams.get('since');
		const since = sinceParam && /^\d{1,15}$/.test(sinceParam) ? Number(sinceParam) : undefined;
		body = await event.locals.services.live.subscribe(event.request.signal, { owner, heartbeats, since });
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
