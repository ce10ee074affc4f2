/**
 * Session tokens as the Lucia guide teaches: `<id>.<secret>`, two random strings of 120 bits
 * each. The id finds the row; only SHA-256(secret) is stored and compared in constant time, so
 * a leaked database (or a timing side channel on the lookup) yields no usable token.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { getRandomValues } from 'node:crypto';

// 32 characters (5 bits each, no look-alikes): 24 of them carry 120 bits.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const PART_LENGTH = 24;
const PART = /^[a-z2-9]{24}$/;

export function randomString(length = PART_LENGTH): string {
	let out = '';
	for (const byte of getRandomValues(new Uint8Array(length))) out += ALPHABET[byte >> 3];
	return out;
}

export type SessionToken = { id: string; secret: string; token: string };

export function generateSessionToken(): SessionToken {
	const id = randomString();
	const secret = randomString();
	return { id, secret, token: `${id}.${secret}` };
}

/** The id and secret of a well-formed token, else null (no database lookup for junk). */
export function parseSessionToken(token: string | undefined | null): { id: string; secret: string } | null {
	if (!token) return null;
	const [id, secret, ...extra] = token.split('.');
	if (extra.length || !id || !secret || !PART.test(id) || !PART.test(secret)) return null;
	return { id, secret };
}

export function hashSecret(secret: string): Uint8Array {
	return sha256(new TextEncoder().encode(secret));
}

export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
	return constantTimeEqual(hashSecret(secret), new Uint8Array(storedHash));
}
