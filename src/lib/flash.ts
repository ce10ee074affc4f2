/**
 * A form action's message after its redirect (the server's lib/server/flash.ts writes it, the
 * admin layout shows it): what happened, and what the page should show with it once.
 */
export type Flash = {
	tone: 'success' | 'info' | 'warning';
	message: string;
	/** More sentences under the message (where an email went, …). */
	details?: string[];
	/** A value shown only this once (a new access key, a generated password), under `label`, with a copy button named `copy`. */
	secret?: { label: string; value: string; testId: string; copy: string };
	/** A monitor's new ping URL, shown only this once with its copy button and examples. */
	pingUrl?: string;
	/** A page to go on to (the outbox, when an email is still pending). */
	link?: { href: string; label: string };
	/** A run the action queued: the banner follows its status live (from `status`, as the redirect's page load read it). */
	run?: { id: number; jobKey: string; status?: string };
};
