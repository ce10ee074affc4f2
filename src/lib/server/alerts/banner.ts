/**
 * What the admin shell says about alerts on every page (the overview of what needs attention):
 * monitors that are down, and notifications that could not be delivered (waiting for a retry,
 * or given up in the last 24 hours).
 */
import type { Sql } from 'postgres';
import { downMonitors } from '../monitors/monitors';
import { undeliveredCounts } from './notifications';

export type AlertBanners = {
	monitorsDown: { key: string; name: string; since: string | null }[];
	undelivered: number;
	failedRecently: number;
};

export async function alertBanners(sql: Sql): Promise<AlertBanners> {
	const [down, counts] = await Promise.all([downMonitors(sql), undeliveredCounts(sql)]);
	return { monitorsDown: down, ...counts };
}
