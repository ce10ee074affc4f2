/** Baseline security headers on every response; no-store on whatever a signed-in user gets. */
import type { Handle } from '@sveltejs/kit';
import { applySecurityHeaders } from '$lib/server/security-headers';

export const securityHeaders: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	applySecurityHeaders(response.headers, event.locals.user != null);
	return response;
};
