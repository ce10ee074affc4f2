/**
 * Who may call the REST API: a login session (the cookie), or `Authorization: Bearer
 * <CRON_SECRET>` for automation (README, "REST API"). The secret is compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestEvent } from '@sveltejs/kit';
import { actorOf, BEARER_ACTOR, type Actor } from '../audit/actor';
import { ServiceError } from '../errors';


const unauthorized = (message: string) => new ServiceError(401, 'unauthorized', message);

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Equal-length digests make `timingSafeEqual` applicable whatever the inputs' lengths, so
 * neither the secret's length nor a matching prefix shows in the response time.
 */
export function secretMatches(given: string, expected: string): boolean {
	return timingSafeEqual(sha256(given), sha256(expected));
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else null. */
export function bearerToken(header: string | null): string | null {
	const match = /^Bearer[ \t]+(\S.*)$/i.exec(header?.trim() ?? '');
	return match ? match[1]!.trim() : null;
}

/** Checks an Authorization header against CRON_SECRET; throws a 401 ServiceError otherwise. */
export function authenticateBearer(header: string | null, secret: string | undefined): Actor {
	if (!header) throw unauthorized('authentication required: send Authorization: Bearer <CRON_SECRET>');
	const token = bearerToken(header);
	if (token === null) throw unauthorized('unsupported Authorization header: expected Bearer <CRON_SECRET>');
	if (!secret) throw unauthorized('bearer authentication is disabled: CRON_SECRET is not configured');
	if (!secretMatches(token, secret)) throw unauthorized('invalid bearer token');
	return BEARER_ACTOR;
}

const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The caller of a cron API endpoint, or a 401. An Authorization header always decides on its
 * own (a wrong secret is never rescued by a cookie). Without one, the login session the auth
 * handle resolved from the cookie counts: admins may do anything, viewers only read.
 */
export function requireApiActor(event: Pick<RequestEvent, 'request' | 'locals'> & { url?: URL }): Actor {
	const header = event.request.headers.get('authorization');
	const user = event.locals.user;
	if (!header && user) {
		const method = event.request.method.toUpperCase();
		if (!READ_METHODS.has(method)) {
			if (user.role !== 'admin') throw new ServiceError(403, 'forbidden', 'viewers have read-only access: only admins can make changes');
			// SameSite=Lax already keeps the cookie off cross-site writes; a foreign Origin is refused too.
			const origin = event.request.headers.get('origin');
			if (origin && event.url && origin !== event.url.origin) throw new ServiceError(403, 'forbidden', 'cross-site requests are forbidden');
		}
		return actorOf(user);
	}
	return authenticateBearer(header, event.locals.services.config.cronSecret);
}
