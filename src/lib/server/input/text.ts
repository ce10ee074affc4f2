/**
 * Text that can be stored: PostgreSQL refuses NUL in `text` and `jsonb`, and an unpaired UTF-16
 * surrogate is not Unicode at all (`jsonb` refuses its escape; elsewhere it would silently turn
 * into U+FFFD). Input carrying either is a 400 naming the field, never a 500 from the database.
 */
import type { ErrorIssue } from '../errors';

/** Why a string cannot be accepted, or null when it can. */
export function textProblem(s: string): string | null {
	if (s.includes('\u0000')) return 'must not contain NUL characters';
	if (!s.isWellFormed()) return 'must not contain unpaired surrogates (invalid Unicode)';
	return null;
}

/**
 * The first string of a parsed JSON value (object keys included) that cannot be accepted, with
 * its dotted path (`params.headers.X-Key`, `items.0`); `(body)` for the top level.
 */
export function findBadText(value: unknown, path: string[] = []): ErrorIssue | null {
	const at = (p: string[]) => p.join('.') || '(body)';
	if (typeof value === 'string') {
		const problem = textProblem(value);
		return problem ? { path: at(path), message: problem } : null;
	}
	if (Array.isArray(value)) {
		for (let i = 0; i < value.length; i++) {
			const found = findBadText(value[i], [...path, String(i)]);
			if (found) return found;
		}
		return null;
	}
	if (typeof value === 'object' && value !== null) {
		for (const [key, v] of Object.entries(value)) {
			const keyProblem = textProblem(key);
			if (keyProblem) return { path: at(path), message: `field names ${keyProblem}` };
			const found = findBadText(v, [...path, key]);
			if (found) return found;
		}
	}
	return null;
}
