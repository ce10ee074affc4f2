/**
 * Password hashing with argon2id, at OWASP's recommended minimum cost
 * (19 MiB, 2 passes, 1 lane): about 20-40 ms per hash on a small server.
 */
import { hash, verify } from '@node-rs/argon2';
import { getRandomValues } from 'node:crypto';

// @node-rs/argon2 defaults to argon2id; the parameters are spelled out so a library default
// changing cannot silently weaken new hashes.
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

export function hashPassword(password: string): Promise<string> {
	return hash(password, OPTIONS);
}

/** False (never a throw) for a malformed hash, so a corrupt row cannot become a 500. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
	try {
		return await verify(passwordHash, password);
	} catch {
		return false;
	}
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time of a real verification when the email is unknown, so the response time
 * does not reveal which emails have accounts.
 */
export async function verifyDummy(password: string): Promise<false> {
	dummy ??= hashPassword('cronkit-dummy-password-for-timing');
	await verifyPassword(await dummy, password);
	return false;
}

// No 0/O/1/l/I: generated passwords are read off a terminal and typed.
const ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random password of `length` characters (24 ≈ 140 bits), unbiased by rejection sampling. */
export function generatePassword(length = 24): string {
	const limit = 256 - (256 % ALPHABET.length);
	let out = '';
	while (out.length < length) {
		for (const byte of getRandomValues(new Uint8Array(length * 2))) {
			if (byte < limit && out.length < length) out += ALPHABET[byte % ALPHABET.length];
		}
	}
	return out;
}
