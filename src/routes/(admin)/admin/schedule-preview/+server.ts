import { json } from '@sveltejs/kit';
import { requireUser } from '$lib/server/auth/guard';
import { ServiceError } from '$lib/server/errors';
import type { RequestHandler } from './$types';

/**
 * The schedule field's live check: `{valid, description, nextRuns}` or `{valid: false, error,
 * field}` for `?expr=&tz=&job=` (five runs; an empty zone is the default zone; `job` is the job
 * being edited, whose own schedule is accepted as is).
 */
export const GET: RequestHandler = async (event) => {
	requireUser(event);
	const expr = event.url.searchParams.get('expr') ?? '';
	const tz = event.url.searchParams.get('tz') || undefined;
	const job = event.url.searchParams.get('job') || undefined;
	try {
		const preview = await event.locals.services.cron.preview({ expr, tz, count: 5, job });
		return json(preview, { headers: { 'cache-control': 'no-store' } });
	} catch (err) {
		if (!(err instanceof ServiceError)) throw err;
		return json({ valid: false, error: err.issues[0]?.message ?? err.message, field: 'schedule' }, { headers: { 'cache-control': 'no-store' } });
	}
};
