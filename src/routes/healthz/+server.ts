import { json } from '@sveltejs/kit';
import { health } from '$lib/server/health';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ locals }) => {
	const report = await health(locals.services);
	return json(report, { status: report.db === 'up' ? 200 : 503, headers: { 'cache-control': 'no-store' } });
};
