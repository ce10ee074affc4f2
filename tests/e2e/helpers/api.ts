import { randomBytes } from 'node:crypto';
import { expect, type APIRequestContext, type APIResponse } from '@playwright/test';

/** The CRON_SECRET of the e2e web server (playwright.config.ts passes the same value). */
export const CRON_SECRET = 'e2e-secret-0123456789abcdef';

/** A job key no other test (or run of the suite) uses, so tests can run in parallel. */
export const uniqueKey = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

/** A schedule that will not tick during a test run, so only triggered runs happen. */
export const QUIET_SCHEDULE = '0 0 1 1 *';

type SendOptions = {
	data?: unknown;
	headers?: Record<string, string>;
	params?: Record<string, string | number>;
	/** `null` sends no Authorization header; a string replaces the secret. */
	token?: string | null;
	timeout?: number;
};

export type ErrorBody = { error: { code: string; message: string; issues: { path: string; message: string }[] } };

/**
 * The cron REST API over real HTTP. Every response is checked for what holds for all of
 * them: never a 5xx, never cacheable.
 */
export class CronApi {
	get = (path: string, opts?: SendOptions) => this.send('GET', path, opts);
	post = (path: string, opts?: SendOptions) => this.send('POST', path, opts);
	patch = (path: string, opts?: SendOptions) => this.send('PATCH', path, opts);
	delete = (path: string, opts?: SendOptions) => this.send('DELETE', path, opts);

	constructor(readonly request: APIRequestContext) {}

	async send(method: string, path: string, opts: SendOptions = {}): Promise<APIResponse> {
		const token = opts.token === undefined ? CRON_SECRET : opts.token;
		const res = await this.request.fetch(path, {
			method,
			// a GET has no body, whatever a table-driven caller passes
			data: method === 'GET' || method === 'HEAD' ? undefined : opts.data,
			params: opts.params,
			headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...opts.headers },
			timeout: opts.timeout,
			failOnStatusCode: false
		});
		expect(res.status(), `${method} ${path} answered ${res.status()}: ${await res.text()}`).toBeLessThan(500);
		expect(res.headers()['cache-control'], `${method} ${path} cache-control`).toBe('no-store');
		return res;
	}

	/** Creates a UI job of type http (201 asserted) and returns its JSON. */
	async createHttpJob(url: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown> & { key: string }> {
		const key = (fields.key as string | undefined) ?? uniqueKey('e2e-http');
		const res = await this.post('/api/cron/jobs', {
			data: { key, name: `E2E ${key}`, type: 'http', schedule: QUIET_SCHEDULE, params: { url }, ...fields }
		});
		expect(res.status(), await res.text()).toBe(201);
		return (await res.json()).job;
	}

	/** Enqueues a run of `key` (202 asserted) and returns its id. */
	async trigger(key: string): Promise<number> {
		const res = await this.post(`/api/cron/jobs/${key}/trigger`);
		expect(res.status(), await res.text()).toBe(202);
		const { execution } = await res.json();
		expect(execution).toEqual({ id: expect.any(Number), status: 'queued' });
		return execution.id;
	}

	async execution(id: number): Promise<Record<string, unknown> & { status: string; output: string | null }> {
		const res = await this.get(`/api/cron/executions/${id}`);
		expect(res.status(), await res.text()).toBe(200);
		return (await res.json()).execution;
	}

	/** Polls a run until its status is one of `statuses`. */
	async waitForStatus(id: number, statuses: string[], timeout = 20_000) {
		let last: Awaited<ReturnType<CronApi['execution']>> | undefined;
		await expect
			.poll(
				async () => {
					last = await this.execution(id);
					return last.status;
				},
				{ timeout, intervals: [100, 200, 250] }
			)
			.toMatch(new RegExp(`^(${statuses.join('|')})$`));
		return last!;
	}
}

/** Asserts the API's error shape, the status and code, and (optionally) the first issue's path. */
export async function expectApiError(res: APIResponse, status: number, code: string, path?: string): Promise<ErrorBody['error']> {
	expect(res.status(), await res.text()).toBe(status);
	expect(res.headers()['content-type']).toMatch(/^application\/json/);
	const body = (await res.json()) as ErrorBody;
	expect(body).toEqual({ error: { code, message: expect.any(String), issues: expect.any(Array) } });
	expect(body.error.message.length).toBeGreaterThan(0);
	if (path !== undefined) {
		expect(body.error.issues.map((i) => i.path)).toContain(path);
		expect(body.error.message).toContain(path);
	}
	return body.error;
}
