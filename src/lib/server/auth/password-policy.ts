/**
 * What a new password must be (README.md#security): at least 12 characters (the shared schema)
 * and not a common password or an easy variation of one, as judged by zxcvbn-ts with its common
 * dictionaries (about 49,000 leaked passwords, diceware words, keyboard patterns): a score of 3
 * ("safely unguessable") or more. Checked on the server only: the dictionaries stay out of the
 * browser bundle. Applies to new passwords (users page, resets, ADMIN_PASSWORD, create-admin),
 * never to signing in.
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { passwordSchema } from '$lib/schemas/auth';

/** zxcvbn's 0-4 scale: 3 means over 10^8 guesses (a slow hash makes that years offline). */
export const MIN_SCORE = 3;
/** zxcvbn's cost grows with length; past this, the first characters decide. */
const CHECKED_LENGTH = 100;

export const WEAK_PASSWORD = 'Password is too easy to guess (a common password, a pattern or a variation of one): use a few unrelated words or a password manager';

let checker: ZxcvbnFactory | undefined;

/** Why a new password is refused (length, then strength), or null. */
export function passwordProblem(password: string): string | null {
	const parsed = passwordSchema.safeParse(password);
	if (!parsed.success) return parsed.error.issues[0]!.message;
	// Built on first use (~50 ms): the dictionaries are not needed to serve anything else.
	checker ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
	return checker.check(password.slice(0, CHECKED_LENGTH)).score < MIN_SCORE ? WEAK_PASSWORD : null;
}
