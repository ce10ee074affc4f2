import { runtime } from '../runtime';
import type { PageDeps } from './pages';

/** The page loads' dependencies from this process's runtime. */
export function runtimeDeps(): PageDeps {
	const rt = runtime();
	return { cron: rt.cron, sql: rt.database.sql, defaultTimezone: rt.config.cronTimezone };
}
