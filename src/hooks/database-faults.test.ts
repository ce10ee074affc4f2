import type { RequestEvent } from '@sveltejs/kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatementTimeoutError } from '$lib/server/db/statement-timeout';
import { log } from '$lib/server/log';
import { serverError } from '$lib/server/unavailable';
import { databaseFaults } from './database-faults';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

function eventFor(path: string, isDataRequest = false): RequestEvent {
	const url = new URL(`http://localhost${path}`);
	return { url, isDataRequest, request: new Request(url), locals: { user: null, sessionId: null } } as unknown as RequestEvent;
}

/** Runs the handle with `resolve` standing for the rest of the request (later handles, route). */
const run = (event: RequestEvent, resolve: (e: RequestEvent) => Promise<Response>) => databaseFaults({ event, resolve: (e) => resolve(e as RequestEvent) });

afterEach(() => vi.restoreAllMocks());

describe('databaseFaults', () => {
	it('answers a fault thrown by a later handle: API error, page, or data-request JSON', async () => {
		vi.spyOn(log, 'warn').mockImplementation(() => undefined);
		const api = await run(eventFor('/api/cron/jobs'), () => Promise.reject(refused()));
		expect(api.status).toBe(503);
		expect(api.headers.get('retry-after')).toBe('5');
		expect(await api.json()).toEqual({ error: { code: 'database_unavailable', message: 'the database is unavailable; try again shortly', issues: [] } });

		const page = await run(eventFor('/admin/cron'), () => Promise.reject(new Error('Failed query', { cause: new StatementTimeoutError(10_000) })));
		expect(page.status).toBe(503);
		expect(page.headers.get('content-type')).toMatch(/^text\/html/);
		expect(page.headers.get('x-frame-options')).toBe('DENY');
		expect(await page.text()).toContain('<h1>Database unavailable</h1>');

		const data = await run(eventFor('/admin/cron/__data.json', true), () => Promise.reject(refused()));
		expect(data.status).toBe(503);
		expect(await data.json()).toEqual({ message: 'the database is unavailable; try again shortly', code: 'database_unavailable' });
	});

	it('answers a fault SvelteKit reported to handleError while resolving (a load or action)', async () => {
		vi.spyOn(log, 'warn').mockImplementation(() => undefined);
		const event = eventFor('/login');
		const res = await run(event, async (e) => {
			// What SvelteKit does when a load throws: report it, render its error page (500).
			const shown = await serverError({ error: refused(), event: { ...e } as RequestEvent, status: 500, message: 'Internal Error' });
			expect(shown).toEqual({ message: 'the database is unavailable; try again shortly', code: 'database_unavailable' });
			return new Response('<h1>500</h1>', { status: 500 });
		});
		expect(res.status).toBe(503);
		expect(await res.text()).toContain('Database unavailable');
	});

	it('leaves other errors and ordinary responses alone', async () => {
		const error = vi.spyOn(log, 'error').mockImplementation(() => undefined);
		await expect(run(eventFor('/admin/cron'), () => Promise.reject(new Error('a bug')))).rejects.toThrow('a bug');
		const event = eventFor('/admin/cron');
		const res = await run(event, async (e) => {
			expect(await serverError({ error: new Error('a bug'), event: e, status: 500, message: 'Internal Error' })).toEqual({ message: 'Internal Error' });
			return new Response('<h1>500</h1>', { status: 500 });
		});
		expect(res.status).toBe(500);
		expect(error).toHaveBeenCalledOnce();
		const ok = await run(eventFor('/api/cron/jobs'), async () => new Response('{}', { status: 200 }));
		expect(ok.status).toBe(200);
	});
});
