#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=100
// The CLI (README, "CLI"): `npx cronkit <command>` (this file is package.json's `bin`) and
// `npm run -s cron -- <command>` run it alike: from the project's folder (as npm run does, so a
// relative DATA_DIR means the same), building first when the output is missing or stale, then
// running the built CLI in this process, so signals reach it directly.
// Both start Node with `--max-semi-space-size=4 --heap-growing-percent=100` (the shebang above,
// package.json's `cron`; `scripts/start.js` says why). bench:peers and bench:jobs-100k start
// Cronkit with the same flags.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildIsStale, CLI_MARKER, runBuild } from './build-state.js';

process.chdir(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
const state = buildIsStale();
if (state) {
	// On stderr: stdout is the command's output (`jobs --json | jq`).
	console.error(`cronkit: build is ${state}, building…`);
	const status = runBuild();
	if (status !== 0) {
		console.error('cronkit: build failed');
		process.exit(status);
	}
}
await import(pathToFileURL(path.resolve(CLI_MARKER)).href);
