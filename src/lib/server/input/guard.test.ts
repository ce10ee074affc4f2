import { describe, expect, it } from 'vitest';
import { formProblem, urlProblem } from './guard';
import { findBadText, textProblem } from './text';

const LONE = '\ud800';

describe('text that cannot be stored', () => {
	it('names NUL and unpaired surrogates, accepts paired ones', () => {
		expect(textProblem('a\u0000b')).toBe('must not contain NUL characters');
		expect(textProblem(`a${LONE}`)).toBe('must not contain unpaired surrogates (invalid Unicode)');
		expect(textProblem('\udfff')).not.toBeNull();
		expect(textProblem('emoji 😀 and ü')).toBeNull();
	});

	it('finds the first bad string of a JSON value by its path, keys included', () => {
		expect(findBadText({ sessionId: 'a\u0000' })).toEqual({ path: 'sessionId', message: 'must not contain NUL characters' });
		expect(findBadText({ params: { headers: { 'X-Key': `v${LONE}` } } })?.path).toBe('params.headers.X-Key');
		expect(findBadText({ items: ['ok', 'a\u0000'] })?.path).toBe('items.1');
		expect(findBadText({ params: { ['k\u0000']: 'v' } })).toEqual({ path: 'params', message: 'field names must not contain NUL characters' });
		expect(findBadText('\u0000')?.path).toBe('(body)');
		expect(findBadText({ a: 1, b: [true, null, { c: 'fine' }] })).toBeNull();
	});
});

describe('the input guard', () => {
	const at = (url: string, params: Record<string, string> = {}) => urlProblem({ url: new URL(url, 'http://localhost'), params });

	it('refuses NUL in a route parameter, naming it', () => {
		expect(at('/api/cron/jobs/%00', { key: '\u0000' })?.toJSON()).toEqual({
			error: { code: 'invalid_input', message: 'key: must not contain NUL characters', issues: [{ path: 'key', message: 'must not contain NUL characters' }] }
		});
	});

	it('refuses NUL in the query string (?q=%00), naming the parameter', () => {
		const err = at('/admin/cron?q=%00');
		expect(err?.status).toBe(400);
		expect(err?.issues).toEqual([{ path: 'q', message: 'must not contain NUL characters' }]);
		expect(at('/admin/cron?q=nightly&state=idle')).toBeNull();
	});

	it('refuses NUL anywhere in the path, even outside a parameter', () => {
		expect(at('/admin/%00/x')?.issues[0]?.path).toBe('path');
	});

	const form = (body: BodyInit, type: string) => new Request('http://localhost/login', { method: 'POST', body, headers: { 'content-type': type } });

	it('refuses a form field with NUL (email a%00b@c.d), naming it', async () => {
		const err = await formProblem(form('email=a%00b%40c.d&password=x', 'application/x-www-form-urlencoded'));
		expect(err?.status).toBe(400);
		expect(err?.issues).toEqual([{ path: 'email', message: 'must not contain NUL characters' }]);
	});

	it('refuses a malformed multipart body with a 400', async () => {
		const err = await formProblem(form('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nno closing boundary', 'multipart/form-data; boundary=y'));
		expect(err?.status).toBe(400);
		expect(err?.message).toBe('(body): is not a well-formed form body');
	});

	it('lets a good form through, and the original body stays readable for the action', async () => {
		const request = form('email=ada%40example.com&password=secret', 'application/x-www-form-urlencoded');
		expect(await formProblem(request)).toBeNull();
		expect((await request.formData()).get('email')).toBe('ada@example.com');
	});
});
