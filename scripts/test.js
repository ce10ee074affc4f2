// `npm test`: every check, in order of cost; stops at the first that fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

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
		if (name === 'e2e') printPageSnapshots();
		console.error(`\n${name} failed after ${secs}s`);
		process.exit(r.status ?? 1);
	}
	console.log(`=== ${name} passed in ${secs}s ===`);
}

/**
 * A failed browser test leaves the page as it was (its accessibility snapshot) in
 * test-results/<test>/error-context.md: print them, so a failure on a machine whose files are
 * gone afterwards (CI) can still be read from its output.
 */
function printPageSnapshots() {
	if (!existsSync('test-results')) return;
	for (const dir of readdirSync('test-results')) {
		const file = path.join('test-results', dir, 'error-context.md');
		if (!existsSync(file)) continue;
		const text = readFileSync(file, 'utf8');
		const snapshot = text.slice(Math.max(0, text.indexOf('```yaml')));
		console.error(`\n--- ${dir}: the page when it failed ---\n${snapshot.slice(0, 8000)}`);
	}
}
