// Is the built output missing or older than its sources? Shared by `npm start` and the CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const SOURCES = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'vite.cli.config.ts', 'package.json', 'package-lock.json'];
/** adapter-node's output; `npm run build` makes it first (and empties build/ doing so). */
export const BUILD_MARKER = 'build/handler.js';
/** The CLI's output (vite.cli.config.ts), made second. */
export const CLI_MARKER = 'build/cli/main.js';

/** @param {string} p @returns {number} */
function newestMtime(p) {
	let st;
	try {
		st = fs.statSync(p);
	} catch {
		return 0;
	}
	if (!st.isDirectory()) return st.mtimeMs;
	let newest = st.mtimeMs;
	for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
	return newest;
}

/** @returns {'missing' | 'stale' | false} */
export function buildIsStale(root = process.cwd()) {
	let built = Infinity;
	for (const marker of [BUILD_MARKER, CLI_MARKER]) {
		try {
			built = Math.min(built, fs.statSync(path.join(root, marker)).mtimeMs);
		} catch {
			return 'missing';
		}
	}
	const newest = Math.max(...SOURCES.map((s) => newestMtime(path.join(root, s))));
	return newest > built ? 'stale' : false;
}

/**
 * Runs the full `npm run build` (app, then CLI) quietly: warnings and errors reach stderr,
 * the progress output is shown only when the build fails. Returns the exit status.
 * @returns {number}
 */
export function runBuild() {
	// Under npm, npm_execpath is npm's own script: no shell or PATH lookup needed.
	const npm = process.env.npm_execpath;
	const [cmd, args] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
	const r = spawnSync(cmd, [...args, 'run', '--silent', 'build'], {
		// Always a production build, whoever asks: under a test runner (NODE_ENV=test) Vite
		// resolved the `development` export conditions, so `dev` was true in the built app and
		// it exited on SIGTERM without waiting for requests in flight.
		env: { ...process.env, NODE_ENV: 'production' },
		stdio: ['ignore', 'pipe', 'inherit'],
		maxBuffer: 64 * 1024 * 1024
	});
	if (r.error) {
		process.stderr.write(`cannot run npm run build: ${r.error.message}\n`);
		return 1;
	}
	if (r.status !== 0) process.stderr.write(r.stdout);
	return r.status ?? 1;
}
