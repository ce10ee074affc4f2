import { z } from 'zod';
import { defineJobType } from './types';

/** How much of the response body is kept in the run's output. */
const BODY_CAPTURE_BYTES = 4096;

export const httpJobParams = z.object({
	url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
	method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
	headers: z.record(z.string(), z.string()).default({}),
	body: z.string().max(1_000_000).optional(),
	/** Expected status; by default any 2xx succeeds. */
	expectStatus: z.number().int().min(100).max(599).optional(),
	followRedirects: z.boolean().default(true)
});

export type HttpJobParams = z.infer<typeof httpJobParams>;

async function readCapped(res: Response, cap: number): Promise<{ text: string; truncated: boolean }> {
	if (!res.body) return { text: '', truncated: false };
	const reader = res.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	let truncated = false;
	for (;;) {
		const { value, done } = await reader.read();
		if (done) break;
		chunks.push(value);
		size += value.byteLength;
		if (size >= cap) {
			truncated = size > cap;
			await reader.cancel();
			break;
		}
	}
	const buf = Buffer.concat(chunks).subarray(0, cap);
	return { text: buf.toString('utf8'), truncated };
}

/** Type `http` (SPEC §4.5): one request, aborted by the run's signal on timeout. */
export const httpJobType = defineJobType<HttpJobParams>({
	name: 'http',
	params: httpJobParams,
	async handler({ params, signal, log }) {
		const started = performance.now();
		const res = await fetch(params.url, {
			method: params.method,
			headers: params.headers,
			body: params.method === 'GET' || params.method === 'HEAD' ? undefined : params.body,
			redirect: params.followRedirects ? 'follow' : 'manual',
			signal
		});
		const { text, truncated } = await readCapped(res, BODY_CAPTURE_BYTES);
		const ms = Math.round(performance.now() - started);
		log(`${params.method} ${params.url} → ${res.status} ${res.statusText} in ${ms} ms`);
		if (text) log(truncated ? `${text}\n… (body truncated at ${BODY_CAPTURE_BYTES} bytes)` : text);
		const ok = params.expectStatus !== undefined ? res.status === params.expectStatus : res.ok;
		if (!ok) {
			const expected = params.expectStatus !== undefined ? `expected ${params.expectStatus}` : 'expected 2xx';
			throw new Error(`HTTP ${res.status} ${res.statusText} (${expected})`);
		}
		return { message: `HTTP ${res.status}`, metrics: { status: res.status, ms } };
	}
});
