// `npm start`: build when the output is missing or stale, then run the built server in this
// process (adapter-node's entry), so signals reach it directly.
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
// Above the API's own 1 MB limit (SPEC §8), so bodies up to 1 MB reach it and larger ones get
// its JSON 413 rather than adapter-node's default 512K refusal.
process.env.BODY_SIZE_LIMIT ??= '2M';
await import(pathToFileURL(path.resolve('build/index.js')).href);
