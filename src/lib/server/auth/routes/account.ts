/**
 * /admin/account: the signed-in user (admin or viewer) changes their own password
 * (../own-password.ts). Success answers 303 back with its message (lib/server/flash.ts); a
 * refusal keeps the page with the error beside its field (400), or 429 with Retry-After when
 * too many wrong current passwords were typed (the enhanced form gets the same status in
 * SvelteKit's action result, as on /login). Passwords are never sent back to the form.
 */
import { fail, type RequestEvent } from '@sveltejs/kit';
import { flashRedirect, type FlashEvent } from '../../flash';
import { formObject } from '../../forms';
import { changeOwnPassword } from '../own-password';

type User = NonNullable<App.Locals['user']>;

export async function changePasswordAction(event: Pick<RequestEvent, 'request' | 'setHeaders'> & FlashEvent, user: User) {
	const values = await formObject(event.request);
	const result = await changeOwnPassword(event.locals.services.sql, user, event.locals.sessionId, values);
	if (!result.ok) {
		if (result.reason === 'throttled') {
			event.setHeaders({ 'retry-after': String(result.retryAfterSeconds) });
			return fail(429, { message: result.message, errors: {} as Record<string, string> });
		}
		return fail(400, { message: result.message, errors: result.errors });
	}
	const others = result.endedSessions;
	flashRedirect(event, {
		tone: 'success',
		message: `Password changed.${others ? ` Your other ${others === 1 ? 'session was' : `${others} sessions were`} signed out.` : ''}`
	});
}
