/**
 * The CLI build (SPEC §9): `src/lib/server/cli/main.ts` as one ESM module in `build/cli/`,
 * next to adapter-node's output. No SvelteKit plugin: the server modules it bundles import
 * neither `$app/*` nor `$env/*`, and package dependencies stay external (node_modules).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

/** Bare specifiers (packages, node: builtins) are loaded at run time, never bundled. */
function isPackage(id: string): boolean {
	return !id.startsWith('.') && !id.startsWith('\0') && !id.startsWith('$lib') && !path.isAbsolute(id);
}

export default defineConfig({
	root,
	resolve: { alias: { $lib: path.join(root, 'src/lib') } },
	publicDir: false,
	build: {
		ssr: true,
		outDir: 'build/cli',
		// adapter-node's output lives in build/: only this build's own folder is ours.
		emptyOutDir: false,
		target: 'node20',
		minify: false,
		sourcemap: true,
		copyPublicDir: false,
		rolldownOptions: {
			// The CLI, and the child process of isolated code jobs (the runner starts it).
			input: { main: 'src/lib/server/cli/main.ts', 'isolated-child': 'src/lib/server/cli/isolated-child.ts' },
			external: isPackage,
			output: { format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' }
		}
	}
});
