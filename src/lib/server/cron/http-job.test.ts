import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_JOB_DENY, EgressPolicy } from '../egress/policy';
import { ServiceError } from '../errors';
import { SecretBox } from '../secrets/box';
import { httpJobParams, MASK, storeHttpParams, viewHttpParams } from './http-job';

const secrets = new SecretBox(randomBytes(32));
const deps = { secrets, egress: EgressPolicy.fromLists(DEFAULT_HTTP_JOB_DENY) };
const store = (input: unknown, previous: Record<string, unknown> | null = null) => storeHttpParams(deps, input, previous);

function refusal(fn: () => unknown): ServiceError {
	try {
		fn();
	} catch (err) {
		if (err instanceof ServiceError) return err;
		throw err;
	}
	throw new Error('did not throw');
}

describe('http job secrets', () => {
	const input = {
		url: 'https://deploy:hunter2-pass@hooks.example.com/run?x=1',
		headers: { Authorization: 'Bearer tok-123', 'X-Api-Key': 'key-456', Accept: 'text/plain' }
	};

	it('stores header values and URL user-info encrypted, the URL without them', () => {
		const stored = store(input);
		const text = JSON.stringify(stored);
		for (const plain of ['hunter2-pass', 'deploy', 'tok-123', 'key-456', 'text/plain']) expect(text).not.toContain(plain);
		expect(stored.url).toBe('https://hooks.example.com/run?x=1');
		expect(SecretBox.isSealed(stored.userinfo)).toBe(true);
		expect(secrets.open(stored.userinfo as string)).toBe('deploy:hunter2-pass');
		expect(secrets.open((stored.headers as Record<string, string>)['X-Api-Key']!)).toBe('key-456');
		// What the scheduler validates before each run.
		expect(httpJobParams.safeParse(stored).success).toBe(true);
	});

	it('shows every header value and the user-info as •••• beside their names', () => {
		expect(viewHttpParams(store(input))).toEqual({
			url: `https://${MASK}@hooks.example.com/run?x=1`,
			method: 'GET',
			headers: { Authorization: MASK, 'X-Api-Key': MASK, Accept: MASK },
			followRedirects: true
		});
	});

	it('keeps stored secrets when an edit sends them back masked, replaces the others', () => {
		const before = store(input);
		const shown = viewHttpParams(before);
		const after = store({ ...shown, headers: { ...(shown.headers as object), Accept: 'application/json' } }, before);
		const headers = after.headers as Record<string, string>;
		expect(headers.Authorization).toBe((before.headers as Record<string, string>).Authorization);
		expect(secrets.open(headers.Accept!)).toBe('application/json');
		expect(after.userinfo).toBe(before.userinfo);
		// A masked header name matches case-insensitively (a form may retype it).
		expect(secrets.open((store({ url: shown.url, headers: { authorization: MASK } }, before).headers as Record<string, string>).authorization!)).toBe('Bearer tok-123');
	});

	it('refuses •••• where nothing is stored, naming the field', () => {
		expect(refusal(() => store({ url: 'https://x.example/', headers: { 'X-New': MASK } })).issues).toEqual([
			{ path: 'params.headers.X-New', message: `${MASK} stands for the stored value, and there is none: enter the value` }
		]);
		expect(refusal(() => store({ url: `https://${MASK}@x.example/` })).issues[0]?.path).toBe('params.url');
	});
});

describe('http job params that can never work are refused at creation', () => {
	it.each([
		[{ 'X-Key': 'a\r\nInjected: yes' }, 'params.headers.X-Key', 'must not contain CR or LF (a header value is one line)'],
		[{ 'X Bad': 'v' }, 'params.headers.X Bad', "is not a valid header name (letters, digits and !#$%&'*+.^_`|~- only, no spaces)"],
		[{ 'X-Emoji': 'secret 😀' }, 'params.headers.X-Emoji', 'must contain only printable Latin-1 characters'],
		[{ 'Transfer-Encoding': 'chunked' }, 'params.headers.Transfer-Encoding', 'is set by the HTTP client and cannot be given']
	])('headers %j → 400 naming %s, without the value', (headers, path, message) => {
		const err = refusal(() => storeHttpParams(deps, { url: 'http://example.com/', headers }, null));
		expect(err.status).toBe(400);
		expect(err.issues).toEqual([{ path, message }]);
		expect(JSON.stringify(err.toJSON())).not.toContain('Injected');
		expect(JSON.stringify(err.toJSON())).not.toContain('secret');
	});

	it('never echoes user:pass@ of a URL it refuses', () => {
		for (const url of ['ftp://admin:s3cret-pw@files.example/', 'http://admin:s3cret-pw@169.254.169.254/latest/meta-data/']) {
			const err = refusal(() => storeHttpParams(deps, { url }, null));
			expect(err.issues[0]?.path).toBe('params.url');
			expect(JSON.stringify(err.toJSON())).not.toContain('s3cret-pw');
		}
	});

	it('refuses a literal denied address in any notation, naming params.url', () => {
		const strict = { ...deps, egress: EgressPolicy.fromLists(`${DEFAULT_HTTP_JOB_DENY},127.0.0.0/8`) };
		for (const host of ['169.254.169.254', '127.1', '2130706433', '0x7f000001', '[::ffff:127.0.0.1]']) {
			const err = refusal(() => storeHttpParams(strict, { url: `http://${host}:8080/` }, null));
			expect(err.issues, host).toEqual([{ path: 'params.url', message: expect.stringMatching(/^blocked by HTTP_JOB_DENY \((169\.254\.169\.254|127\.0\.0\.1)\)$/) }]);
		}
		// Names are checked when they are resolved, at run time.
		expect(storeHttpParams(strict, { url: 'http://localhost:8080/' }, null).url).toBe('http://localhost:8080/');
	});
});
