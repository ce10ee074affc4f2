import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { dev } from '$app/environment';
import { firstOf, heartbeatFastPath, publishFastPath } from '$lib/server/api/fast-path';
import { pingFastPath } from '$lib/server/monitors/ping-http';
import { adminGate } from '$lib/server/auth/gate';
import { inputGuard } from '$lib/server/input/guard';
import { authHandle } from '$lib/server/auth/handle';
import { parseConfig } from '$lib/server/config';
import { assertPortFree, installShutdown } from '$lib/server/process';
import { roleGate } from '$lib/server/roles';
import { boot, fatal } from '$lib/server/runtime';
import { applySecurityHeaders, publishSecurityHeaders } from '$lib/server/security-headers';
import { databaseFaults, serverError } from '$lib/server/unavailable';

export const init: ServerInit = async () => {
	try {
		const config = parseConfig(process.env);
		if (!dev && !process.env.SOCKET_PATH) await assertPortFree(config.host, config.port);
		const { database } = await boot({ config });
		// Served in front of SvelteKit by scripts/server.js (`npm start`); a worker serves no API.
		if (config.cronRole !== 'worker') publishFastPath(firstOf(heartbeatFastPath(database.sql), pingFastPath(database.sql)));
		publishSecurityHeaders();
		installShutdown({ waitForHttpDrain: !dev });
	} catch (err) {
		await fatal(err);
	}
};

/** Baseline security headers on every response; no-store on whatever a signed-in user gets. */
const securityHeaders: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	applySecurityHeaders(response.headers, event.locals.user != null);
	return response;
};

// roleGate first: a worker answers only /healthz and /metrics and never reads a session.
// inputGuard refuses URLs and form bodies that cannot be handled (400/408) before anything reads
// them; databaseFaults turns a database fault anywhere after it into a 503 (API error or error
// page); authHandle resolves the session; adminGate guards the whole (admin) group before any load.
export const handle = sequence(securityHeaders, roleGate, inputGuard, databaseFaults, authHandle, adminGate);

export const handleError: HandleServerError = serverError;
