import type { ZodError } from 'zod';

export type ErrorIssue = { path: string; message: string };

/**
 * An error the caller can act on, with the HTTP status and code of the API's error shape:
 * `{"error": {"code", "message", "issues"}}`.
 */
export class ServiceError extends Error {
	override name = 'ServiceError';
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly issues: ErrorIssue[] = []
	) {
		super(message);
	}

	toJSON() {
		return { error: { code: this.code, message: this.message, issues: this.issues } };
	}
}

export const notFound = (what: string) => new ServiceError(404, 'not_found', `${what} not found`);

/** A zod failure as a 400 whose message names the first faulty field. */
export function invalid(err: ZodError, prefix = ''): ServiceError {
	const issues = err.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(body)', message: i.message }));
	const first = issues[0]!;
	return new ServiceError(400, 'invalid_input', `${first.path}: ${first.message}`, issues);
}

export function fieldError(path: string, message: string, code = 'invalid_input'): ServiceError {
	return new ServiceError(400, code, `${path}: ${message}`, [{ path, message }]);
}
