import { requireUser } from '$lib/server/auth/guard';
import type { RequestHandler } from './$types';

/**
 * Live updates for the admin pages (Server-Sent Events: runs, jobs, settings, device sessions,
 * the outbox), until the login session ends or its user's role changes. `?heartbeats=1`: the
 * page shows heartbeat times (/admin/sessions).
 */
export const GET: RequestHandler = async (event) => {
	const user = requireUser(event);
	let body: ReadableStream<Uint8Array>;
	try {
		const owner = event.locals.sessionId ? { sessionId: event.locals.sessionId, role: user.role } : undefined;
		const heartbeats = event.url.searchParams.get('heartbeats') === '1';
		body = await event.locals.services.live.subscribe(event.request.signal, { owner, heartbeats });
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
