import type { Handle, ServerInit } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { dev } from '$app/environment';
import { adminGate } from '$lib/server/auth/gate';
import { authHandle } from '$lib/server/auth/handle';
import { parseConfig } from '$lib/server/config';
import { assertPortFree, installShutdown } from '$lib/server/process';
import { roleGate } from '$lib/server/roles';
import { boot, fatal } from '$lib/server/runtime';

export const init: ServerInit = async () => {
	try {
		const config = parseConfig(process.env);
		if (!dev && !process.env.SOCKET_PATH) await assertPortFree(config.host, config.port);
		await boot({ config });
		installShutdown({ waitForHttpDrain: !dev });
	} catch (err) {
		await fatal(err);
	}
};

/** Baseline security headers on every response. */
const securityHeaders: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	response.headers.set('x-content-type-options', 'nosniff');
	response.headers.set('referrer-policy', 'same-origin');
	response.headers.set('x-frame-options', 'DENY');
	return response;
};

// roleGate first: a worker answers only /healthz and /metrics and never reads a session.
// authHandle resolves the session; adminGate guards the whole (admin) group before any load.
export const handle = sequence(securityHeaders, roleGate, authHandle, adminGate);
