/**
 * Zod schemas of the auth forms (login, users page, your own password), shared by the server and the browser.
 * Form values arrive as strings; empty optional fields count as absent.
 */
import { z } from 'zod';
import { USER_ROLES } from '../names';

export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 256;

/**
 * Lower-cased and trimmed. Deliberately lenient (one @, no spaces): first admins such as
 * `admin@localhost` are valid, and the mail server is the final judge anyway.
 */
export const emailSchema = z
	.string({ error: 'Enter an email address' })
	.trim()
	.toLowerCase()
	.min(1, 'Enter an email address')
	.max(254, 'Email must be at most 254 characters')
	.regex(/^[^\s@]+@[^\s@]+$/, 'Enter a valid email address');

/** Length only: the server also refuses common passwords (server/auth/password-policy.ts). */
export const passwordSchema = z
	.string({ error: 'Enter a password' })
	.min(MIN_PASSWORD, `Password must be at least ${MIN_PASSWORD} characters`)
	.max(MAX_PASSWORD, `Password must be at most ${MAX_PASSWORD} characters`);

export const roleSchema = z.enum(USER_ROLES, { error: 'Choose admin or viewer' });

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const loginSchema = z.object({
	email: emailSchema,
	// Not the creation rules: an old, shorter password must still be accepted here.
	password: z.string({ error: 'Enter your password' }).min(1, 'Enter your password').max(MAX_PASSWORD, 'Incorrect email or password')
});

export const createUserSchema = z.object({
	email: emailSchema,
	role: roleSchema,
	/** Empty: a strong password is generated and shown once. */
	password: z.preprocess(blankToUndefined, passwordSchema.optional())
});
export type CreateUserInput = z.input<typeof createUserSchema>;

export const userIdSchema = z.object({ id: z.string({ error: 'Missing user' }).min(1, 'Missing user').max(64) });
export const changeRoleSchema = userIdSchema.extend({ role: roleSchema });

/** Changing your own password: the server adds the strength check and compares the two new ones. */
export const changeOwnPasswordSchema = z.object({
	current: z.string({ error: 'Enter your current password' }).min(1, 'Enter your current password').max(MAX_PASSWORD, 'Incorrect password'),
	password: passwordSchema,
	confirm: z.string({ error: 'Type the new password again' }).min(1, 'Type the new password again').max(MAX_PASSWORD, 'Does not match the new password')
});
