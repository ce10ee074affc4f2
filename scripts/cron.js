// `npm run cron -- <command>` (README, "CLI"): build when the output is missing or stale, then run
// the built CLI in this process, so signals reach it directly.
// package.json starts this file with `--max-semi-space-size=4` (MB): Node 22 sizes V8's young
// generation from the machine's memory, and a worker's
// boot (loading and arming every job) filled it before the first scavenge: 1,000 jobs peaked at
// 154 MB RSS without the flag, 131 MB with it, and an idle worker used less CPU after boot
// (bench/peers/README.md, "Idle"). bench:peers starts Cronkit's trials with the same flags.
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
