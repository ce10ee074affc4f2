/**
 * Type `http`: one request per run, aborted by the run's signal on timeout. Its secrets (header
 * values and the URL's user-info) are write-only: encrypted at rest under SECRET_KEY, shown as
 * `••••` everywhere, kept when an edit sends `••••` back (README.md#security). Every connection,
 * redirects included, goes through the egress policy (egress/dispatcher.ts).
 */
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import type { Sql } from 'postgres';
import { z } from 'zod';
import { HTTP_METHODS } from '../../names';
import { jsonValue } from '../db/json';
import { describeNetworkError, egressAgent, undici } from '../egress/dispatcher';
import type { EgressPolicy } from '../egress/policy';
import { fieldError, invalid } from '../errors';
import { SecretBox } from '../secrets/box';
import { defineJobType, type RegisteredType } from './types';

/** How much of the response body is kept in the run's output. */
const BODY_CAPTURE_BYTES = 4096;
const MAX_REDIRECTS = 20;

/** What a secret looks like outside the process; sent back in an edit, it keeps the stored value. */
export const MASK = '••••';

/** RFC 9110 token characters: what a header name may be made of. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 9110 field-value characters: visible ASCII, space, tab and obs-text (Latin-1). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers the HTTP client sets itself and refuses from callers. */
const CLIENT_HEADERS = new Set(['content-length', 'transfer-encoding', 'upgrade', 'keep-alive', 'expect']);

function headerValueProblem(value: string): string | null {
	if (/[\r\n]/.test(value)) return 'must not contain CR or LF (a header value is one line)';
	if (!HEADER_VALUE.test(value)) return 'must contain only printable Latin-1 characters';
	return null;
}

/** Params as submitted (API, form): the URL may carry user-info, headers are plain. */
const httpJobInput = z.object({
	url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
	method: z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(', ')}` }).default('GET'),
	headers: z
		.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of header names and values' })
		.default({})
		.superRefine((headers, ctx) => {
			for (const [name, value] of Object.entries(headers)) {
				if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid header name (letters, digits and !#$%&\'*+.^_`|~- only, no spaces)' });
				else if (CLIENT_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: 'is set by the HTTP client and cannot be given' });
				else if (value !== MASK) {
					const problem = headerValueProblem(value);
					if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
				}
			}
		}),
	body: z.string({ error: 'must be a string' }).max(1_000_000, 'must be at most 1,000,000 characters').optional(),
	/** Expected status; by default any 2xx succeeds. */
	expectStatus: z.number({ error: 'must be a number' }).int('must be a whole number').min(100, 'must be between 100 and 599').max(599, 'must be between 100 and 599').optional(),
	followRedirects: z.boolean({ error: 'must be true or false' }).default(true)
});

const sealed = z.string().refine(SecretBox.isSealed, 'is not encrypted');

/** Params as stored and handed to the handler: secrets sealed, the URL without user-info. */
export const httpJobParams = z.object({
	url: z.string(),
	method: z.enum(HTTP_METHODS).default('GET'),
	headers: z.record(z.string(), sealed).default({}),
	/** `user:password` of the URL, sent as Basic authorization. */
	userinfo: sealed.optional(),
	body: z.string().optional(),
	expectStatus: z.number().int().optional(),
	followRedirects: z.boolean().default(true)
});

export type HttpJobParams = z.infer<typeof httpJobParams>;

export type HttpJobDeps = { secrets: SecretBox; egress: EgressPolicy };

/** The URL as shown: user-info, if any, as `••••@`. */
function shownUrl(url: string, userinfo: unknown): string {
	if (!userinfo) return url;
	return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)/i, `$1${MASK}@`);
}

/** Stored params as they may leave the process. */
export function viewHttpParams(stored: Record<string, unknown>): Record<string, unknown> {
	const { userinfo, headers, ...rest } = stored;
	const masked = headers && typeof headers === 'object' ? Object.fromEntries(Object.keys(headers).map((name) => [name, MASK])) : {};
	return { ...rest, url: shownUrl(String(rest.url ?? ''), userinfo), headers: masked };
}

const previousHeader = (previous: Record<string, unknown>, name: string): string | undefined => {
	const found = Object.entries(previous).find(([k]) => k.toLowerCase() === name.toLowerCase());
	return SecretBox.isSealed(found?.[1]) ? found[1] : undefined;
};

/** Submitted params → stored ones: validated, secrets sealed, masked ones kept from `previous`. */
export function storeHttpParams(deps: HttpJobDeps, input: unknown, previous: Record<string, unknown> | null): Record<string, unknown> {
	const parsed = httpJobInput.safeParse(input);
	if (!parsed.success) throw invalid(parsed.error, 'params');
	const p = parsed.data;
	const url = new URL(p.url);
	let userinfo: string | undefined;
	if (url.username || url.password) {
		const plain = decodeURIComponent(url.username) + (url.password ? `:${decodeURIComponent(url.password)}` : '');
		if (plain === MASK) {
			userinfo = SecretBox.isSealed(previous?.userinfo) ? previous.userinfo : undefined;
			if (!userinfo) throw fieldError('params.url', `${MASK} stands for stored credentials, and there are none: enter them`);
		} else userinfo = deps.secrets.seal(plain);
		url.username = '';
		url.password = '';
	}
	const refused = deps.egress.deniedLiteral(url);
	if (refused) throw fieldError('params.url', `blocked by HTTP_JOB_DENY (${refused})`);
	const before = previous?.headers && typeof previous.headers === 'object' ? (previous.headers as Record<string, unknown>) : {};
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(p.headers)) {
		if (value === MASK) {
			const kept = previousHeader(before, name);
			if (!kept) throw fieldError(`params.headers.${name}`, `${MASK} stands for the stored value, and there is none: enter the value`);
			headers[name] = kept;
		} else headers[name] = deps.secrets.seal(value);
	}
	return {
		url: url.href,
		method: p.method,
		headers,
		...(userinfo ? { userinfo } : {}),
		...(p.body !== undefined ? { body: p.body } : {}),
		...(p.expectStatus !== undefined ? { expectStatus: p.expectStatus } : {}),
		followRedirects: p.followRedirects
	};
}

async function readCapped(body: Readable, cap: number): Promise<{ text: string; truncated: boolean }> {
	const chunks: Buffer[] = [];
	let size = 0;
	let truncated = false;
	for await (const chunk of body) {
		chunks.push(chunk as Buffer);
		size += (chunk as Buffer).length;
		if (size >= cap) {
			truncated = size > cap;
			body.destroy();
			break;
		}
	}
	return { text: Buffer.concat(chunks).subarray(0, cap).toString('utf8'), truncated };
}

/** The headers to send, decrypted; a value that cannot be used fails the run naming only its header. */
function outgoingHeaders(secrets: SecretBox, params: HttpJobParams): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [name, value] of Object.entries(params.headers)) {
		const plain = secrets.open(value);
		if (!HEADER_NAME.test(name) || headerValueProblem(plain)) throw new Error(`params.headers.${name}: not a usable header (edit the job)`);
		out[name] = plain;
	}
	const hasAuthorization = Object.keys(out).some((k) => k.toLowerCase() === 'authorization');
	if (params.userinfo && !hasAuthorization) out.authorization = `Basic ${Buffer.from(secrets.open(params.userinfo), 'utf8').toString('base64')}`;
	return out;
}

export function httpJobType(deps: HttpJobDeps): RegisteredType {
	return defineJobType<HttpJobParams>({
		name: 'http',
		params: httpJobParams,
		store: (input, previous) => storeHttpParams(deps, input, previous),
		view: viewHttpParams,
		async handler({ params, signal, log }) {
			const shown = shownUrl(params.url, params.userinfo);
			const headers = outgoingHeaders(deps.secrets, params);
			const { interceptors, request } = await undici();
			const agent = await egressAgent(deps.egress);
			const dispatcher = params.followRedirects ? agent.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS })) : agent;
			const started = performance.now();
			try {
				let res: Awaited<ReturnType<typeof request>>;
				try {
					res = await request(params.url, {
						method: params.method,
						headers,
						body: params.method === 'GET' || params.method === 'HEAD' ? undefined : params.body,
						signal,
						dispatcher
					});
				} catch (err) {
					if (signal.aborted) throw err;
					throw new Error(`${params.method} ${shown}: ${describeNetworkError(err)}`);
				}
				const { text, truncated } = await readCapped(res.body, BODY_CAPTURE_BYTES);
				const ms = Math.round(performance.now() - started);
				const status = `${res.statusCode} ${STATUS_CODES[res.statusCode] ?? ''}`.trim();
				log(`${params.method} ${shown} → ${status} in ${ms} ms`);
				if (text) log(truncated ? `${text}\n… (body truncated at ${BODY_CAPTURE_BYTES} bytes)` : text);
				const ok = params.expectStatus !== undefined ? res.statusCode === params.expectStatus : res.statusCode >= 200 && res.statusCode < 300;
				if (!ok) {
					const expected = params.expectStatus !== undefined ? `expected ${params.expectStatus}` : 'expected 2xx';
					throw new Error(`HTTP ${status} (${expected})`);
				}
				return { message: `HTTP ${res.statusCode}`, metrics: { status: res.statusCode, ms } };
			} finally {
				await agent.destroy().catch(() => undefined);
			}
		}
	});
}

/**
 * Rows written before secrets were encrypted: their header values and URL user-info sealed in
 * place (at boot, under the boot's advisory lock; rows already sealed are left alone).
 */
export async function sealStoredHttpSecrets(sql: Sql, secrets: SecretBox): Promise<number> {
	return sql.begin(async (tx) => {
		await tx`select pg_advisory_xact_lock(hashtext('cronkit:seal-http-secrets'))`;
		// Only rows that may hold a plain secret are read and locked (a header value not sealed, a
		// URL with an `@`): at boot, with every secret sealed long ago, none (not 100,000).
		const rows = await tx<{ key: string; params: Record<string, unknown> }[]>`
			select key, params from cron_job
			where source = 'ui' and type = 'http'
				and (params->>'url' like '%@%'
					or exists (select 1 from jsonb_each(case when jsonb_typeof(params->'headers') = 'object' then params->'headers' else '{}'::jsonb end) h
						where jsonb_typeof(h.value) <> 'string' or not starts_with(h.value #>> '{}', ${SecretBox.prefix})))
			for update`;
		let sealedRows = 0;
		for (const row of rows) {
			const p = { ...row.params };
			let changed = false;
			if (p.headers && typeof p.headers === 'object') {
				p.headers = Object.fromEntries(
					Object.entries(p.headers as Record<string, unknown>).map(([name, value]) => {
						if (SecretBox.isSealed(value)) return [name, value];
						changed = true;
						return [name, secrets.seal(String(value))];
					})
				);
			}
			if (typeof p.url === 'string' && URL.canParse(p.url)) {
				const url = new URL(p.url);
				if (url.username || url.password) {
					p.userinfo = secrets.seal(decodeURIComponent(url.username) + (url.password ? `:${decodeURIComponent(url.password)}` : ''));
					url.username = '';
					url.password = '';
					p.url = url.href;
					changed = true;
				}
			}
			if (!changed) continue;
			await tx`update cron_job set params = ${tx.json(jsonValue(p))} where key = ${row.key}`;
			sealedRows++;
		}
		return sealedRows;
	});
}
