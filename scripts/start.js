// `npm start`: build when the output is missing or stale, then run the built server in this
// process (adapter-node's entry), so signals reach it directly.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildIsStale } from './build-state.js';

const state = buildIsStale();
if (state) {
	console.log(`cronkit: build is ${state}, building…`);
	const r = spawnSync(process.execPath, [path.resolve('node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
		stdio: 'inherit'
	});
	if (r.status !== 0) {
		console.error('cronkit: build failed');
		process.exit(r.status ?? 1);
	}
}
await import(pathToFileURL(path.resolve('build/index.js')).href);
