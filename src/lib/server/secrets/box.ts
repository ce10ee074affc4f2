/**
 * Secrets at rest under SECRET_KEY (README.md#security): AES-256-GCM with a random 96-bit IV per
 * value, stored as `enc:v1:<base64url(iv ‖ ciphertext ‖ tag)>`. Sub-keys are derived with HKDF
 * (one per purpose: job secrets, signed cookies), so one key never serves two algorithms; the
 * database keeps the key's fingerprint (an HMAC, not the key) to refuse booting under another.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export const KEY_BYTES = 32;
const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** 32 bytes from base64 (or base64url) text, or null when it is not exactly that. */
export function decodeKey(text: string): Buffer | null {
	const trimmed = text.trim();
	if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
	const key = Buffer.from(trimmed, /[-_]/.test(trimmed) ? 'base64url' : 'base64');
	return key.length === KEY_BYTES ? key : null;
}

const derive = (key: Buffer, purpose: string) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `cronkit ${purpose}`, KEY_BYTES));

/** The value cannot be decrypted: another key, or tampered with. Never carries the value. */
export class SecretOpenError extends Error {
	override name = 'SecretOpenError';
}

export class SecretBox {
	private readonly encryptionKey: Buffer;
	private readonly signingKey: Buffer;
	/** Identifies the key without revealing it (hex HMAC-SHA256 of a fixed label). */
	readonly fingerprint: string;

	constructor(key: Buffer) {
		if (key.length !== KEY_BYTES) throw new Error(`a secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
		this.encryptionKey = derive(key, 'job secrets v1');
		this.signingKey = derive(key, 'signed cookies v1');
		this.fingerprint = createHmac('sha256', derive(key, 'fingerprint v1')).update('cronkit secret key').digest('hex');
	}

	/** How every sealed value starts (SQL looks for values not sealed yet with it). */
	static readonly prefix = PREFIX;

	static isSealed(value: unknown): value is string {
		return typeof value === 'string' && value.startsWith(PREFIX);
	}

	seal(plain: string): string {
		const iv = randomBytes(IV_BYTES);
		const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
		const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
		return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
	}

	open(sealed: string): string {
		if (!SecretBox.isSealed(sealed)) throw new SecretOpenError('the stored value is not encrypted');
		const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
		if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretOpenError('the stored value is truncated');
		try {
			const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, raw.subarray(0, IV_BYTES));
			decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
			return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
		} catch {
			throw new SecretOpenError('the stored value cannot be decrypted with this SECRET_KEY');
		}
	}

	/** `data.signature` (HMAC-SHA256, base64url) for a cookie value. */
	sign(data: string): string {
		return `${data}.${createHmac('sha256', this.signingKey).update(data).digest('base64url')}`;
	}

	/** The data of a value made by `sign`, or null when its signature does not match. */
	verify(signed: string): string | null {
		const dot = signed.lastIndexOf('.');
		if (dot <= 0) return null;
		const data = signed.slice(0, dot);
		const given = Buffer.from(signed.slice(dot + 1), 'base64url');
		const expected = createHmac('sha256', this.signingKey).update(data).digest();
		return given.length === expected.length && timingSafeEqual(given, expected) ? data : null;
	}
}
