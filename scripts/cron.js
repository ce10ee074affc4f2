// `npm run cron -- <command>` (README, "CLI"): build when the output is missing or stale, then run
// the built CLI in this process, so signals reach it directly.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIsStale, CLI_MARKER, runBuild } from './build-state.js';

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
