/**
 * The admin banner's source (failed emails alert admins by email and in the admin UI: README,
 * "Email"). For the admin layout's load: `failedEmails: await failedEmailAlert(sql)`, shown as
 * a banner linking to /admin/email?status=failed when non-zero.
 */
import type { Sql } from 'postgres';
import { failedEmailCount } from './outbox';

/** Emails that failed for good in the last 24 hours (0 when the database cannot say). */
export async function failedEmailAlert(sql: Sql): Promise<number> {
	return failedEmailCount(sql).catch(() => 0);
}
