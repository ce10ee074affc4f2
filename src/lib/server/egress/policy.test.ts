import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config';
import { AGENT_TIMEOUTS, describeNetworkError } from './dispatcher';
import { DEFAULT_HTTP_JOB_DENY, EgressBlocked, EgressPolicy, parseCidrList } from './policy';

describe('the egress policy', () => {
	const policy = EgressPolicy.fromLists(`${DEFAULT_HTTP_JOB_DENY},127.0.0.0/8,::1/128`, '127.0.0.2/32');

	it('normalises every IP notation before matching', () => {
		for (const address of ['127.0.0.1', '127.1', '2130706433', '0x7f000001', '::ffff:127.0.0.1', '[::ffff:7f00:1]', '0177.0.0.1']) {
			expect(policy.denied(address), address).toBe('127.0.0.1');
		}
		expect(policy.denied('169.254.169.254')).toBe('169.254.169.254');
		expect(policy.denied('fd00:ec2::254')).toBe('fd00:ec2::254');
		expect(policy.denied('fe80::1')).toBe('fe80::1');
		expect(policy.denied('::1')).toBe('::1');
	});

	it('lets through what is not denied, and what HTTP_JOB_ALLOW exempts', () => {
		expect(policy.denied('127.0.0.2')).toBeNull();
		expect(policy.denied('10.1.2.3')).toBeNull();
		expect(policy.denied('192.168.1.10')).toBeNull();
		expect(policy.denied('2001:db8::1')).toBeNull();
		expect(policy.denied('example.com')).toBeNull();
	});

	it('allows loopback and private ranges by default (internal services are the usual targets)', () => {
		const defaults = EgressPolicy.fromLists(DEFAULT_HTTP_JOB_DENY);
		for (const a of ['127.0.0.1', '10.0.0.5', '172.16.0.1', '192.168.0.1', '::1']) expect(defaults.denied(a), a).toBeNull();
		for (const a of ['169.254.169.254', '100.100.100.200', '0.0.0.0', 'fe80::1']) expect(defaults.denied(a), a).not.toBeNull();
	});

	it('refuses a bad list at boot with one line naming the variable', () => {
		expect(() => parseCidrList('10.0.0.0/8, nonsense')).toThrow('"nonsense" is not an IP address or CIDR range');
		expect(() => parseConfig({ HTTP_JOB_DENY: '10.0.0.0/33' })).toThrow(
			'Invalid configuration: HTTP_JOB_DENY is not a comma-separated list of CIDR ranges: "10.0.0.0/33" is not an IP address or CIDR range (got "10.0.0.0/33")'
		);
		expect(parseConfig({}).httpJobDeny).toBe(DEFAULT_HTTP_JOB_DENY);
		expect(parseConfig({ HTTP_JOB_ALLOW: '10.0.0.0/8' }).httpJobAllow).toBe('10.0.0.0/8');
	});
});

describe('network errors', () => {
	const wrapped = (cause: object) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), cause) });

	it('are named by their cause', () => {
		expect(describeNetworkError(wrapped({ code: 'ECONNREFUSED', address: '127.0.0.1', port: 9 }))).toBe('ECONNREFUSED 127.0.0.1:9');
		expect(describeNetworkError(wrapped({ code: 'ECONNREFUSED', address: '::1', port: 9 }))).toBe('ECONNREFUSED [::1]:9');
		expect(describeNetworkError(wrapped({ code: 'ENOTFOUND', hostname: 'nope.invalid' }))).toBe('ENOTFOUND nope.invalid');
		expect(describeNetworkError(new EgressBlocked('169.254.169.254'))).toBe('blocked by HTTP_JOB_DENY (169.254.169.254)');
		const both = Object.assign(new Error('all failed'), {
			errors: [Object.assign(new Error('a'), { code: 'ECONNREFUSED', address: '::1', port: 9 }), Object.assign(new Error('b'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 9 })]
		});
		expect(describeNetworkError(both)).toBe('ECONNREFUSED [::1]:9, ECONNREFUSED 127.0.0.1:9');
	});

	it('no library timeout cuts a run short: the agent has none of its own', () => {
		expect(AGENT_TIMEOUTS).toEqual({ connect: 0, headersTimeout: 0, bodyTimeout: 0 });
	});
});
