import type { RequestEvent } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import { roleGate } from './role-gate';

describe('roleGate (the web app under CRON_ROLE=worker)', () => {
	const call = (role: string, pathname: string) => {
		const event = { url: new URL(`http://localhost${pathname}`), locals: { services: { config: { cronRole: role } } } } as unknown as RequestEvent;
		return roleGate({ event, resolve: async () => new Response('app') });
	};

	it('passes everything through unless the role is worker', async () => {
		expect(await (await call('all', '/admin/cron')).text()).toBe('app');
		expect(await (await call('web', '/admin/cron')).text()).toBe('app');
		expect(await (await call('worker', '/healthz')).text()).toBe('app');
		expect(await (await call('worker', '/metrics')).text()).toBe('app');
		const refused = await call('worker', '/admin/cron');
		expect(refused.status).toBe(404);
		expect(refused.headers.get('content-type')).toBe('application/json');
		expect(await refused.json()).toMatchObject({ error: { code: 'not_found', issues: [] } });
	});
});
