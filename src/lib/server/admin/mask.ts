/**
 * Viewers see every job but not its credentials: header values that look like secrets are
 * masked in what a viewer's page receives (admins need them to edit).
 */
const SECRET_HEADER = /authorization|cookie|token|secret|api[-_]?key|password|signature/i;

export function maskParams(params: Record<string, unknown>): Record<string, unknown> {
	const headers = params.headers;
	if (!headers || typeof headers !== 'object') return params;
	const masked = Object.fromEntries(Object.entries(headers as Record<string, unknown>).map(([k, v]) => [k, SECRET_HEADER.test(k) ? '•••••• (hidden)' : v]));
	return { ...params, headers: masked };
}
