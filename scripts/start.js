// `npm start`: build when the output is missing or stale, then run the built app in this
// process (scripts/server.js: adapter-node's handler plus the heartbeat fast path), so signals
// reach it directly.
// package.json starts this file with `--max-semi-space-size=4` (MB): Node 22 sizes V8's young
// generation from the machine's memory, and a worker's
// boot (loading and arming every job) filled it before the first scavenge: 1,000 jobs peaked at
// 154 MB RSS without the flag, 131 MB with it, and an idle worker used less CPU after boot
// (bench/peers/README.md, "Idle"). And with `--heap-growing-percent=100`: booting 100,000 jobs
// allocates gigabytes of short-lived garbage while what it keeps (each job armed) grows to
// ~130 MB; by default V8 let the old generation grow to well over twice that before a full
// collection (~400 MB RSS for the scheduler alone). Growing at most to twice what survived the
// last full collection, the same boot peaked at ~300 MB for the same CPU time (a smaller factor
// cost seconds of CPU: 20% gave 250 MB for +6 s; docs/architecture.md, "Memory and boot at
// 100,000 jobs"). bench:peers and bench:jobs-100k start Cronkit with the same flags.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIsStale, runBuild } from './build-state.js';

const state = buildIsStale();
if (state) {
	console.log(`cronkit: build is ${state}, building…`);
	const status = runBuild();
	if (status !== 0) {
		console.error('cronkit: build failed');
		process.exit(status);
	}
}
// Above the API's own 1 MB limit (README, "REST API"), so bodies up to 1 MB reach it and larger ones get
// its JSON 413 rather than adapter-node's default 512K refusal.
process.env.BODY_SIZE_LIMIT ??= '2M';
// ORIGIN defaults to http://localhost:$PORT (README, "Configuration"). Without it adapter-node assumes https,
// so every form POST (the login!) would fail SvelteKit's same-origin check. Left alone when
// the operator derives the origin from proxy headers instead.
if (!process.env.PROTOCOL_HEADER && !process.env.HOST_HEADER) process.env.ORIGIN ||= `http://localhost:${process.env.PORT || 3000}`;
await import(pathToFileURL(path.resolve('scripts/server.js')).href);
