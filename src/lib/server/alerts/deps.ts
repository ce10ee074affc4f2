/** What the alert and monitor routes pass on from this process's services. */
import type { MonitorDeps } from '../monitors/monitors';
import type { Services } from '../runtime';
import type { ChannelDeps } from './channels';

export function channelDeps({ sql, secrets, egress }: Pick<Services, 'sql' | 'secrets' | 'egress'>): ChannelDeps {
	return { sql, secrets, egress };
}

export function monitorDeps({ sql, config, cron }: Pick<Services, 'sql' | 'config' | 'cron'>): MonitorDeps {
	return {
		sql,
		origin: config.origin,
		defaultTimezone: async () => (await cron.settings())['scheduler.defaultTimezone']
	};
}
