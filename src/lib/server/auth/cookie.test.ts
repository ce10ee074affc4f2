import type { Cookies } from '@sveltejs/kit';
import { describe, expect, it, vi } from 'vitest';
import { cookieIsSecure, deleteSessionCookie, SESSION_COOKIE, setSessionCookie } from './cookie';

function fakeCookies() {
	return { set: vi.fn(), delete: vi.fn() } as unknown as Cookies & { set: ReturnType<typeof vi.fn>; delete: ReturnType<typeof vi.fn> };
}

describe('session cookie', () => {
	it('is Secure everywhere but plain-http localhost', () => {
		expect(cookieIsSecure(new URL('http://localhost:3000/login'))).toBe(false);
		expect(cookieIsSecure(new URL('http://127.0.0.1:4173/login'))).toBe(false);
		expect(cookieIsSecure(new URL('http://[::1]:3000/login'))).toBe(false);
		expect(cookieIsSecure(new URL('https://localhost/login'))).toBe(true);
		expect(cookieIsSecure(new URL('http://cron.internal:3000/login'))).toBe(true);
		expect(cookieIsSecure(new URL('https://cron.example.com/login'))).toBe(true);
	});

	it('is HttpOnly, SameSite=Lax, Path=/ and expires with the session', () => {
		const cookies = fakeCookies();
		const expires = new Date('2030-01-01T00:00:00Z');
		setSessionCookie(cookies, new URL('https://cron.example.com/login'), 'id.secret', expires);
		expect(cookies.set).toHaveBeenCalledWith(SESSION_COOKIE, 'id.secret', { path: '/', httpOnly: true, sameSite: 'lax', secure: true, expires });
		expect(SESSION_COOKIE).toBe('cronkit_session');
	});

	it('is deleted with the same attributes', () => {
		const cookies = fakeCookies();
		deleteSessionCookie(cookies, new URL('http://localhost:3000/'));
		expect(cookies.delete).toHaveBeenCalledWith(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: false });
	});
});
