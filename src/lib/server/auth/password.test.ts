import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, verifyDummy, verifyPassword } from './password';

describe('passwords', () => {
	it('hashes with argon2id at the OWASP minimum parameters and verifies', async () => {
		const hash = await hashPassword('correct horse battery staple');
		expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
		expect(await verifyPassword(hash, 'correct horse battery staple')).toBe(true);
		expect(await verifyPassword(hash, 'correct horse battery stapl')).toBe(false);
	});

	it('salts every hash', async () => {
		expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
	});

	it('answers false, never throws, for a malformed stored hash', async () => {
		expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
		expect(await verifyPassword('', 'x')).toBe(false);
	});

	it('spends a verification on unknown emails and always fails', async () => {
		expect(await verifyDummy('cronkit-dummy-password-for-timing')).toBe(false);
	});

	it('generates strong passwords without look-alike characters', () => {
		const seen = new Set<string>();
		for (let i = 0; i < 200; i++) {
			const p = generatePassword();
			expect(p).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{24}$/);
			seen.add(p);
		}
		expect(seen.size).toBe(200);
		expect(generatePassword(40)).toHaveLength(40);
	});
});
