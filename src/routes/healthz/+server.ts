import { json } from '@sveltejs/kit';
import { health } from '$lib/server/health';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async () => {
	const report = await health();
	return json(report, { status: report.db === 'up' ? 200 : 503, headers: { 'cache-control': 'no-store' } });
};
