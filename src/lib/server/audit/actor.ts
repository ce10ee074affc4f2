/**
 * Who acts: the name the audit log and a run's `triggered_by` record (an admin's email, `api`
 * for the bearer secret, `cli`, `code`), and the user's id when a signed-in user acts.
 */
export type Actor = { name: string; userId?: string | null };

/** The signed-in user as the actor of what they do. */
export const actorOf = (user: { id: string; email: string }): Actor => ({ name: user.email, userId: user.id });

/** Calls of the REST API authenticated by the CRON_SECRET bearer. */
export const BEARER_ACTOR: Actor = { name: 'api', userId: null };

/** Commands run from `npm run cron`. */
export const CLI_ACTOR: Actor = { name: 'cli', userId: null };
