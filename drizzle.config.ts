import { defineConfig } from 'drizzle-kit';

// Only `drizzle-kit generate` is used: migrations are committed in drizzle/ and applied at boot.
export default defineConfig({
	schema: './src/lib/server/db/schema.ts',
	out: './drizzle',
	dialect: 'postgresql',
	strict: true
});
