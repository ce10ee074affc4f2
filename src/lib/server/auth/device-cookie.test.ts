import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../secrets/box';
import { decodeDevice, encodeDevice } from './device-cookie';

describe('device cookies', () => {
	const secrets = new SecretBox(randomBytes(32));
	const device = { email: 'ada@example.com', nonce: 'n-123' };

	it('name the account and device they were issued for', () => {
		expect(decodeDevice(secrets, encodeDevice(secrets, device))).toEqual(device);
	});

	it('are refused when forged, altered or signed under another key', () => {
		const value = encodeDevice(secrets, device);
		const forged = `v1.${Buffer.from(JSON.stringify({ e: 'ada@example.com', n: 'mine' })).toString('base64url')}.${value.split('.').pop()}`;
		expect(decodeDevice(secrets, forged)).toBeNull();
		expect(decodeDevice(secrets, value.replace('v1.', 'v1.x'))).toBeNull();
		expect(decodeDevice(new SecretBox(randomBytes(32)), value)).toBeNull();
		expect(decodeDevice(secrets, undefined)).toBeNull();
		expect(decodeDevice(secrets, 'garbage')).toBeNull();
		expect(decodeDevice(secrets, secrets.sign('v1.not-json'))).toBeNull();
	});
});
