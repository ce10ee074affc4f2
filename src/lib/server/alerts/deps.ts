/** What the alert and monitor routes need, from this process's runtime. */
import type { MonitorDeps } from '../monitors/monitors';
import { runtime } from '../runtime';
import type { ChannelDeps } from './channels';

export function channelDeps(): ChannelDeps {
	const rt = runtime();
	return { sql: rt.database.sql, secrets: rt.secrets, egress: rt.egress };
}

export function monitorDeps(): MonitorDeps {
	const rt = runtime();
	return {
		sql: rt.database.sql,
		origin: rt.config.origin,
		defaultTimezone: async () => (await rt.cron.settings())['scheduler.defaultTimezone']
	};
}
