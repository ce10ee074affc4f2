// Is the built output missing or older than its sources? Shared by `npm start` and the CLI.
import fs from 'node:fs';
import path from 'node:path';

const SOURCES = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package.json', 'package-lock.json'];
export const BUILD_MARKER = 'build/handler.js';

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
	let built;
	try {
		built = fs.statSync(path.join(root, BUILD_MARKER)).mtimeMs;
	} catch {
		return 'missing';
	}
	const newest = Math.max(...SOURCES.map((s) => newestMtime(path.join(root, s))));
	return newest > built ? 'stale' : false;
}
