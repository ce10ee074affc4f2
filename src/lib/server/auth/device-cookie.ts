/**
 * Device cookies (OWASP's defence against lockout as denial of service): a browser that signed in
 * as an account carries a cookie signed under SECRET_KEY naming that account and a random nonce.
 * Sign-in attempts from it for that account are throttled on their own (per device), so failures
 * from elsewhere (an attacker guessing, a shared address) never lock it out.
 */
import { randomBytes } from 'node:crypto';
import type { Cookies } from '@sveltejs/kit';
import type { SecretBox } from '../secrets/box';
import { cookieIsSecure } from './cookie';

export const DEVICE_COOKIE = 'cronkit_device';
const MAX_AGE_SECONDS = 180 * 24 * 3600;
const VERSION = 'v1';

export type Device = { email: string; nonce: string };

function options(url: URL) {
	// Only the sign-in form needs it.
	return { path: '/login', httpOnly: true, sameSite: 'lax', secure: cookieIsSecure(url) } as const;
}

export function encodeDevice(secrets: SecretBox, device: Device): string {
	return secrets.sign(`${VERSION}.${Buffer.from(JSON.stringify({ e: device.email, n: device.nonce })).toString('base64url')}`);
}

/** The device a cookie value names, or null when it is missing, malformed or not signed by this key. */
export function decodeDevice(secrets: SecretBox, value: string | undefined): Device | null {
	if (!value) return null;
	const data = secrets.verify(value);
	if (!data?.startsWith(`${VERSION}.`)) return null;
	try {
		const parsed = JSON.parse(Buffer.from(data.slice(VERSION.length + 1), 'base64url').toString('utf8')) as { e?: unknown; n?: unknown };
		return typeof parsed.e === 'string' && typeof parsed.n === 'string' ? { email: parsed.e, nonce: parsed.n } : null;
	} catch {
		return null;
	}
}

export function readDeviceCookie(cookies: Cookies, secrets: SecretBox): Device | null {
	return decodeDevice(secrets, cookies.get(DEVICE_COOKIE));
}

/** After a successful sign-in: this browser is now a known device of `email`. */
export function setDeviceCookie(cookies: Cookies, url: URL, secrets: SecretBox, email: string): void {
	const value = encodeDevice(secrets, { email, nonce: randomBytes(16).toString('base64url') });
	cookies.set(DEVICE_COOKIE, value, { ...options(url), maxAge: MAX_AGE_SECONDS });
}
