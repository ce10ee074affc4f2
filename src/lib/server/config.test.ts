import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config';

describe('parseConfig', () => {
	it('applies the documented defaults', () => {
		const c = parseConfig({});
		expect(c.databaseUrl).toBeUndefined();
		expect(c.port).toBe(3000);
		expect(c.host).toBe('0.0.0.0');
		expect(c.origin).toBe('http://localhost:3000');
		expect(c.cronRole).toBe('all');
		expect(c.cronTimezone).toBe('UTC');
		expect(c.dataDir).toMatch(/\/data$/);
		expect(c.instanceId).toMatch(/-\d+$/);
		expect(c.dbStatementTimeoutMs).toBe(10_000);
	});

	it('reads DB_STATEMENT_TIMEOUT_MS', () => {
		expect(parseConfig({ DB_STATEMENT_TIMEOUT_MS: '1500' }).dbStatementTimeoutMs).toBe(1500);
	});

	it('treats empty values as unset', () => {
		expect(parseConfig({ PORT: '', CRON_ROLE: '' }).port).toBe(3000);
	});

	it.each([
		['PORT', 'abc', /^Invalid configuration: PORT must be a number/],
		['PORT', '70000', /^Invalid configuration: PORT must be between 1 and 65535/],
		['CRON_ROLE', 'boss', /^Invalid configuration: CRON_ROLE must be one of all, web, worker/],
		['CRON_TIMEZONE', 'Mars/Olympus', /^Invalid configuration: CRON_TIMEZONE is not a known IANA time zone/],
		['DATABASE_URL', 'mysql://x', /^Invalid configuration: DATABASE_URL must be a postgres/],
		['LOG_LEVEL', 'loud', /^Invalid configuration: LOG_LEVEL must be one of/],
		['ADMIN_EMAIL', 'not-an-email', /^Invalid configuration: ADMIN_EMAIL is not a valid email/],
		['DB_STATEMENT_TIMEOUT_MS', 'soon', /^Invalid configuration: DB_STATEMENT_TIMEOUT_MS must be a number of milliseconds \(got "soon"\)$/],
		['DB_STATEMENT_TIMEOUT_MS', '2.5', /^Invalid configuration: DB_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds/],
		['DB_STATEMENT_TIMEOUT_MS', '0', /^Invalid configuration: DB_STATEMENT_TIMEOUT_MS must be between 100 and 3600000 \(milliseconds\)/],
		['DB_STATEMENT_TIMEOUT_MS', '86400000', /^Invalid configuration: DB_STATEMENT_TIMEOUT_MS must be between 100 and 3600000/],
		['ADMIN_PASSWORD', 'password', /^Invalid configuration: ADMIN_PASSWORD must be at least 12 characters$/],
		['ADMIN_PASSWORD', 'password1234', /^Invalid configuration: ADMIN_PASSWORD is too easy to guess/],
		['SECRET_KEY', 'c2hvcnQ=', /^Invalid configuration: SECRET_KEY must be 32 random bytes in base64 \(openssl rand -base64 32\)$/]
	])('rejects %s=%s with one line naming the variable', (name, value, message) => {
		expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
		expect(() => parseConfig({ [name]: value })).toThrow(message);
	});

	it('never echoes secret values', () => {
		let message = '';
		try {
			parseConfig({ CRON_SECRET: 'short' });
		} catch (err) {
			message = (err as Error).message;
		}
		expect(message).toContain('CRON_SECRET');
		expect(message).not.toContain('short');
	});
});
