import { describe, expect, it } from 'vitest';
import { generateSessionToken, hashSecret, parseSessionToken, randomString, secretMatches } from './token';

describe('session tokens', () => {
	it('are id.secret, 24 characters of 32 each (120 bits)', () => {
		const { id, secret, token } = generateSessionToken();
		expect(token).toBe(`${id}.${secret}`);
		expect(id).toMatch(/^[a-km-np-z2-9]{24}$/);
		expect(secret).toMatch(/^[a-km-np-z2-9]{24}$/);
		expect(id).not.toBe(secret);
	});

	it('never repeat', () => {
		const ids = new Set(Array.from({ length: 1000 }, () => randomString()));
		expect(ids.size).toBe(1000);
	});

	it('parse only when well-formed', () => {
		const { id, secret, token } = generateSessionToken();
		expect(parseSessionToken(token)).toEqual({ id, secret });
		for (const bad of [undefined, null, '', id, `${id}.`, `.${secret}`, `${id}.${secret}.x`, `${id.toUpperCase()}.${secret}`, `${id}.${secret}0`, `${id}.${secret.slice(1)}!`]) {
			expect(parseSessionToken(bad)).toBeNull();
		}
	});

	it('store only SHA-256 of the secret and compare it', () => {
		const { secret } = generateSessionToken();
		const hash = hashSecret(secret);
		expect(hash).toHaveLength(32);
		expect(Buffer.from(hash).toString('hex')).not.toContain(Buffer.from(secret).toString('hex'));
		expect(secretMatches(secret, Buffer.from(hash))).toBe(true);
		expect(secretMatches(generateSessionToken().secret, hash)).toBe(false);
		expect(secretMatches(secret, hash.subarray(0, 16))).toBe(false);
	});
});
