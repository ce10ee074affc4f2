import { describe, expect, it } from 'vitest';
import { DEFAULT_AFTER_LOGIN, safeRedirectTo } from './redirect';

describe('safeRedirectTo', () => {
	it('keeps same-site relative paths with their query and hash', () => {
		expect(safeRedirectTo('/admin/users')).toBe('/admin/users');
		expect(safeRedirectTo('/admin/cron/nightly?status=failed#runs')).toBe('/admin/cron/nightly?status=failed#runs');
	});

	it('falls back for anything that could leave the site or loop', () => {
		for (const bad of [
			null,
			undefined,
			'',
			'admin',
			'https://evil.example/',
			'//evil.example/x',
			'/\\evil.example',
			'\\\\evil.example',
			'/\t/evil.example',
			'javascript:alert(1)',
			'/login',
			'/login?redirectTo=/admin',
			'/logout',
			`/${'a'.repeat(3000)}`,
			// dot segments that resolve to a protocol-relative `//host`
			'/.//evil.example',
			'/..//x',
			'/%2e%2e//x',
			'/%2E%2E//x',
			'/a/../..//evil.example/'
		]) {
			expect(safeRedirectTo(bad), String(bad)).toBe(DEFAULT_AFTER_LOGIN);
		}
	});
});
