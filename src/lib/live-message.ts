/** What one live-update message carries (server: lib/server/admin/live.ts; browser: lib/admin/live.svelte.ts). */
export type LiveMessage = {
	/** `[id, jobKey, status]` of changed runs. */
	runs: [number, string, string][];
	/** Jobs whose configuration or runs changed. */
	jobs: string[];
	/** Something changed that is not itemised (a big batch): refresh whatever is shown. */
	all: boolean;
	/** Global settings changed (pause banner, default zone). */
	settings: boolean;
	/** Device sessions or access keys changed (/admin/sessions). */
	sessions: boolean;
	/** The outbox changed (/admin/email). */
	email: boolean;
};
