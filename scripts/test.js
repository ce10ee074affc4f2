// `npm test`: every check, in order of cost; stops at the first that fails.
import { spawnSync } from 'node:child_process';

/** @type {[string, string, string[]][]} */
const steps = [
	['typecheck', 'npm', ['run', '--silent', 'check']],
	['lint', 'npm', ['run', '--silent', 'lint']],
	['unit + integration', 'npx', ['vitest', 'run']],
	['e2e', 'npx', ['playwright', 'test']]
];

for (const [name, cmd, args] of steps) {
	console.log(`\n=== ${name} ===`);
	const started = Date.now();
	const r = spawnSync(cmd, args, { stdio: 'inherit' });
	const secs = ((Date.now() - started) / 1000).toFixed(1);
	if (r.status !== 0) {
		console.error(`\n${name} failed after ${secs}s`);
		process.exit(r.status ?? 1);
	}
	console.log(`=== ${name} passed in ${secs}s ===`);
}
