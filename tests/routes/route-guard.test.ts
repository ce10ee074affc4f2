/**
 * Authorization coverage: every +page.server.ts, +layout.server.ts and +server.ts under
 * src/routes is public by name or visibly guarded (rules in route-guard.ts). Adding an
 * unguarded route fails this test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRoutes, gateInstalled, isPublic, PUBLIC_ROUTES, routeFiles, routePath } from './route-guard';

const root = path.resolve(import.meta.dirname, '../..');
const routesDir = path.join(root, 'src/routes');
const hooks = fs.readFileSync(path.join(root, 'src/hooks.server.ts'), 'utf8');

describe('the app routes', () => {
	it('are all guarded', () => {
		expect(routeFiles(routesDir).length).toBeGreaterThan(5);
		expect(checkRoutes(routesDir, hooks)).toEqual([]);
	});

	it('include the admin group, guarded by its layout and the adminGate handle', () => {
		expect(gateInstalled(hooks)).toBe(true);
		const layout = fs.readFileSync(path.join(routesDir, '(admin)/admin/+layout.server.ts'), 'utf8');
		expect(layout).toMatch(/requireUser\(event\)/);
	});
});

describe('the checker', () => {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'route-guard-'));
	afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

	let n = 0;
	/** A throw-away routes tree from {relative path: source}. */
	function tree(files: Record<string, string>): string {
		const dir = path.join(tmp, `t${n++}`);
		for (const [rel, text] of Object.entries(files)) {
			fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
			fs.writeFileSync(path.join(dir, rel), text);
		}
		return dir;
	}
	const check = (files: Record<string, string>, hooksText = hooks) => checkRoutes(tree(files), hooksText).map((v) => `${v.file}: ${v.problem}`);

	const adminLayout = `import { requireUser } from '$lib/server/auth/guard';\nexport const load = (event) => { requireUser(event); return {}; };`;

	it('flags an unguarded endpoint, page load and action', () => {
		const problems = check({
			'api/secret/+server.ts': `export const GET = async () => new Response('secret');`,
			'reports/+page.server.ts': `export const load = async () => ({ rows: [] });`,
			'reports/[id]/+page.server.ts': `import { requireUser } from 'x';\nexport const load = (e) => { requireUser(e); return {}; };\nexport const actions = { remove: async () => ({}) };`
		});
		expect(problems).toEqual([
			'api/secret/+server.ts: GET is not guarded: wrap it in apiRoute(...) or call requireApiActor/requireUser/requireAdmin',
			'reports/+page.server.ts: load is not guarded: call requireUser(event) or requireAdmin(event)',
			'reports/[id]/+page.server.ts: action "remove" is not guarded: call requireAdmin(event) first (viewers are read-only)'
		]);
	});

	it('does not count a guard named only in a comment or a string', () => {
		const problems = check({
			'a/+server.ts': `// requireApiActor(event)\nexport function POST() { const s = 'requireUser(event)'; return new Response(s); }`
		});
		expect(problems).toHaveLength(1);
	});

	it('accepts guarded handlers in their usual shapes', () => {
		expect(
			check({
				'api/jobs/+server.ts': `export const GET = apiRoute(async () => json({}));\nexport const fallback = methodNotAllowed('GET');`,
				'api/raw/+server.ts': `export async function POST(event) { requireApiActor(event); return new Response(); }`,
				'api/local/+server.ts': `function auth(e) { return requireAdmin(e); }\nconst handler = (e) => { auth(e); return new Response(); };\nexport const DELETE = handler;`,
				'reports/+page.server.ts': `export const load = (event) => { requireUser(event); return {}; };\nexport const actions = { default: async (event) => { requireAdmin(event); return {}; }, async other(event) { requireAdmin(event); } };`
			})
		).toEqual([]);
	});

	it('skips public routes only', () => {
		expect(
			check({
				'login/+page.server.ts': `export const actions = { default: async () => ({}) };`,
				'api/session/start/+server.ts': `export const POST = async () => new Response();`,
				'api/sessions-admin/+server.ts': `export const GET = async () => new Response();`
			})
		).toEqual(['api/sessions-admin/+server.ts: GET is not guarded: wrap it in apiRoute(...) or call requireApiActor/requireUser/requireAdmin']);
		expect(isPublic('/(app)/login', PUBLIC_ROUTES)).toBe(true);
		expect(isPublic('/api/session', PUBLIC_ROUTES)).toBe(true);
		expect(isPublic('/api/sessionx', PUBLIC_ROUTES)).toBe(false);
		expect(routePath('/(admin)/admin/users')).toBe('/admin/users');
	});

	it('lets the admin group layout cover loads, but never actions or endpoints', () => {
		const problems = check({
			'(admin)/admin/+layout.server.ts': adminLayout,
			'(admin)/admin/cron/+page.server.ts': `export const load = async () => ({ jobs: [] });\nexport const actions = { run: async (event) => { requireUser(event); } };`,
			'(admin)/admin/cron/events/+server.ts': `export const GET = async () => new Response('stream');`
		});
		expect(problems).toEqual([
			'(admin)/admin/cron/+page.server.ts: action "run" is not guarded: call requireAdmin(event) first (viewers are read-only)',
			'(admin)/admin/cron/events/+server.ts: GET is not guarded: wrap it in apiRoute(...) or call requireApiActor/requireUser/requireAdmin'
		]);
	});

	it("lets a user's own account page act for any signed-in user, still requiring that check", () => {
		const problems = check({
			'(admin)/admin/+layout.server.ts': adminLayout,
			'(admin)/admin/account/+page.server.ts': `export const actions = { password: async (event) => { requireUser(event); }, other: async () => ({}) };`,
			'(admin)/admin/accounts/+page.server.ts': `export const actions = { password: async (event) => { requireUser(event); } };`
		});
		expect(problems).toEqual([
			'(admin)/admin/account/+page.server.ts: action "other" is not guarded: call requireUser(event) first',
			'(admin)/admin/accounts/+page.server.ts: action "password" is not guarded: call requireAdmin(event) first (viewers are read-only)'
		]);
	});

	it('drops the admin group exemption when its layout or the gate is missing', () => {
		const page = { '(admin)/admin/cron/+page.server.ts': `export const load = async () => ({ jobs: [] });` };
		expect(check({ '(admin)/admin/+layout.server.ts': `export const load = async () => ({});`, ...page })).toHaveLength(2);
		expect(check({ '(admin)/admin/+layout.server.ts': adminLayout, ...page }, `export const handle = sequence(securityHeaders, authHandle);`)).toEqual([
			'(admin)/admin/cron/+page.server.ts: load is not guarded: call requireUser(event) or requireAdmin(event)'
		]);
	});

	it('refuses actions it cannot inspect and re-exported handlers', () => {
		expect(
			check({
				'reports/+page.server.ts': `import { reportActions } from '$lib/x';\nexport const actions = reportActions;`,
				'api/x/+server.ts': `export { GET } from '$lib/x';`
			})
		).toEqual([
			'api/x/+server.ts: re-exports "GET": define handlers in the route file so their guard can be checked',
			'reports/+page.server.ts: actions must be an object literal so each action can be checked'
		]);
	});
});
