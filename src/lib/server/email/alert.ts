/**
 * The admin banner's source (SPEC §4.6: failed emails alert admins by email and in the admin
 * UI). For the admin layout's load: `failedEmails: await failedEmailAlert()`, shown as a banner
 * linking to /admin/email?status=failed when non-zero.
 */
import { runtime } from '../runtime';
import { failedEmailCount } from './outbox';

/** Emails that failed for good in the last 24 hours (0 when the database cannot say). */
export async function failedEmailAlert(): Promise<number> {
	return failedEmailCount(runtime().database.sql).catch(() => 0);
}
