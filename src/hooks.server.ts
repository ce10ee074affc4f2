/**
 * The web app's composition: `init` boots the services once (runtime.ts), and `handle` runs
 * one hook per concern (src/hooks/), in this order:
 *
 * 1. securityHeaders: baseline headers on every response it passes back;
 * 2. attachServices: `event.locals.services` for everything after it;
 * 3. roleGate: a worker answers only /healthz and /metrics and never reads a session;
 * 4. inputGuard: URLs and form bodies that cannot be handled are refused (400/408) before
 *    anything reads them;
 * 5. themeHandle: the browser's colour theme, drawn into every page's `<html class>`;
 * 6. databaseFaults: a database fault anywhere after it becomes a 503 (API error or page);
 * 7. authHandle: the session cookie becomes `locals.user`;
 * 8. adminGate: the whole (admin) group needs a signed-in user, and admins for any write.
 */
import type { HandleServerError, ServerInit } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { dev } from '$app/environment';
import { firstOf, heartbeatFastPath, publishFastPath } from '$lib/server/api/fast-path';
import { pingFastPath } from '$lib/server/monitors/ping-http';
import { parseConfig } from '$lib/server/config';
import { assertPortFree, installShutdown } from '$lib/server/process';
import { boot, fatal, type Services } from '$lib/server/runtime';
import { publishSecurityHeaders } from '$lib/server/security-headers';
import { serverError } from '$lib/server/unavailable';
import { adminGate } from './hooks/admin-gate';
import { authHandle } from './hooks/auth';
import { databaseFaults } from './hooks/database-faults';
import { inputGuard } from './hooks/input-guard';
import { roleGate } from './hooks/role-gate';
import { securityHeaders } from './hooks/security-headers';
import { attachServices } from './hooks/services';
import { themeHandle } from './hooks/theme';

let services: Services | undefined;

export const init: ServerInit = async () => {
	try {
		const config = parseConfig(process.env);
		if (!dev && !process.env.SOCKET_PATH) await assertPortFree(config.host, config.port);
		services = await boot({ config });
		// Served in front of SvelteKit by scripts/server.js (`npm start`); a worker serves no API.
		if (config.cronRole !== 'worker') publishFastPath(firstOf(heartbeatFastPath(services.sql), pingFastPath(services.sql)));
		publishSecurityHeaders();
		installShutdown({ waitForHttpDrain: !dev });
	} catch (err) {
		await fatal(err);
	}
};

export const handle = sequence(securityHeaders, attachServices(() => services), roleGate, inputGuard, themeHandle, databaseFaults, authHandle, adminGate);

export const handleError: HandleServerError = serverError;
