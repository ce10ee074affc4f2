// See https://svelte.dev/docs/kit/types#app.d.ts
import type { Theme, UserRole } from '$lib/names';
import type { Services } from '$lib/server/runtime';

declare global {
	namespace App {
		interface Error {
			code?: string;
		}
		interface Locals {
			/** The process's services, built once at boot (src/hooks/services.ts hands them over). */
			services: Services;
			/** The signed-in admin-app user, set by the auth handle; null when signed out. */
			user: { id: string; email: string; role: UserRole } | null;
			/** The login session's id, when signed in. */
			sessionId: string | null;
			/** The colour theme this browser chose (src/hooks/theme.ts). */
			theme: Theme;
		}
	}
}

export {};
