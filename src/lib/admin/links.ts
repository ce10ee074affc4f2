/** Internal links with a query string, resolved against the app's base path. */
import { resolve } from '$app/paths';
import type { ResolvedPathname } from '$app/types';

type Query = URLSearchParams | Record<string, string | number | null | undefined> | [string, string][];

/** `path?query`, dropping empty values (a GET form leaves `?status=` for "any"). */
export function withQuery(path: string, query: Query = {}): ResolvedPathname {
	const entries: [string, string][] =
		query instanceof URLSearchParams
			? [...query]
			: Array.isArray(query)
				? query
				: Object.entries(query).flatMap(([k, v]) => (v === null || v === undefined || v === '' ? [] : [[k, String(v)] as [string, string]]));
	const q = new URLSearchParams(entries.filter(([, v]) => v !== '')).toString();
	// resolve() only prefixes the base path here; the cast picks its one-argument form.
	return resolve((q ? `${path}?${q}` : path) as '/');
}

export const jobHref = (key: string): ResolvedPathname => resolve('/(admin)/admin/cron/[key]', { key });

export const executionHref = (key: string, id: number): ResolvedPathname =>
	resolve('/(admin)/admin/cron/[key]/executions/[id]', { key, id: String(id) });

/**
 * A form action on the current page that keeps its query (filters, cursor), so that without
 * JavaScript the page comes back as it was.
 */
export function actionUrl(name: string, search: URLSearchParams): string {
	const kept = [...search].filter(([k]) => !k.startsWith('/'));
	const rest = new URLSearchParams(kept).toString();
	return `?/${name}${rest ? `&${rest}` : ''}`;
}
