/**
 * The built app (and anchors) as child processes for the HTTP benchmarks: started on a free port
 * of 127.0.0.1 against the bench database, stopped with SIGTERM (SIGKILL after 20 s), and their
 * CPU time read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnServer } from '../tests/helpers/serve';

/**
 * The repository: the nearest directory above this module with the app's svelte.config.js (this
 * file runs from bench/ under tsx, and bundled from bench/peers/.build/ by bench:peers).
 */
export const root = ((dir: string): string => {
	while (!existsSync(path.join(dir, 'svelte.config.js'))) {
		const up = path.dirname(dir);
		if (up === dir) throw new Error('bench: the repository (svelte.config.js) is not above bench/app-process.ts');
		dir = up;
	}
	return dir;
})(path.dirname(fileURLToPath(import.meta.url)));

export type Target = { name: string; port: number; child: ChildProcess };

/** Exits the bench (2) when the app is not built: the HTTP benches measure the build. */
export async function requireBuild(bench: string): Promise<void> {
	if (!(await fs.stat(path.join(root, 'build/index.js')).catch(() => null))) {
		console.error(`${bench} measures the built app: run \`npm run build\` first.`);
		process.exit(2);
	}
}

/**
 * The Node flags `npm start` passes (package.json's `start` script: the young generation's size,
 * the heap's growth): the benches start Cronkit the same way.
 */
export const APP_NODE_FLAGS: string[] = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
	.split(/\s+/)
	.filter((a) => a.startsWith('--'));

/** APP_NODE_FLAGS, plus any in BENCH_APP_NODE_FLAGS (space-separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: Node refuses those in NODE_OPTIONS). */
const startFlags = (): string[] => [...APP_NODE_FLAGS, ...(process.env.BENCH_APP_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [])];

/**
 * The app from `entry` (`scripts/start.js` as `npm start`, with its Node flags, or
 * `build/index.js`), with `env` on top.
 */
export async function startApp(databaseUrl: string, dataDir: string, entry: 'scripts/start.js' | 'build/index.js', env: Record<string, string>): Promise<Target> {
	const flags = entry === 'scripts/start.js' ? startFlags() : [];
	const { child, url, healthz } = await spawnServer((port) =>
		spawn(process.execPath, [...flags, path.join(root, entry)], {
			cwd: root,
			env: {
				...process.env,
				DATABASE_URL: databaseUrl,
				DATA_DIR: dataDir,
				PORT: String(port),
				HOST: '127.0.0.1',
				LOG_LEVEL: 'warn',
				ADMIN_EMAIL: 'bench@example.com',
				ADMIN_PASSWORD: 'bench-password-0123456789',
				ORIGIN: `http://localhost:${port}`,
				CRON_ROLE: 'all',
				...env
			},
			stdio: ['ignore', 'ignore', 'inherit']
		})
	);
	await healthz.body?.cancel();
	return { name: entry, port: Number(new URL(url).port), child };
}

/** A bench script (an anchor server) run with tsx; resolves once it prints "listening". */
export async function startScript(script: string, env: Record<string, string>): Promise<Target> {
	const port = await freePort();
	const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script)], {
		cwd: root,
		env: { ...process.env, PORT: String(port), ...env },
		stdio: ['ignore', 'pipe', 'inherit']
	});
	await new Promise<void>((resolve, reject) => {
		child.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
		child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
	});
	return { name: script, port, child };
}

/** CPU time (user + system, ms) a child process has used so far, from /proc (Linux). */
export async function cpuMsOf(pid: number | undefined): Promise<number> {
	if (!pid) return NaN;
	const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
	return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

export function stop(t: Target | undefined): Promise<void> {
	if (!t || t.child.exitCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		const kill = setTimeout(() => t.child.kill('SIGKILL'), 20_000);
		t.child.once('exit', () => {
			clearTimeout(kill);
			resolve();
		});
		t.child.kill('SIGTERM');
	});
}
