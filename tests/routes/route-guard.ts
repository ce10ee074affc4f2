/**
 * Static proof that every server route checks who is calling (every route checks on the
 * server: README, "Roles"), used by route-guard.test.ts. It reads the route files' syntax trees (so a guard
 * named in a comment or a string does not count) and applies these rules:
 *
 * - public routes (PUBLIC_ROUTES) are skipped;
 * - `+server.ts`: every HTTP method export is wrapped in `apiRoute(...)`, is `methodNotAllowed(...)`,
 *   or is a function that calls `requireApiActor`, `requireUser` or `requireAdmin`;
 * - `+page.server.ts` / `+layout.server.ts`: `load` calls `requireUser` or `requireAdmin`, unless
 *   the file is inside the `(admin)` group, whose layout load calls `requireUser` and which the
 *   `adminGate` handle in hooks.server.ts guards as a whole; every action in `actions` (an object
 *   literal) calls `requireAdmin`, except on SELF_SERVICE_ROUTES (a user's own account, where
 *   viewers may act too), whose actions call `requireUser` or `requireAdmin`.
 *
 * A call counts when it is in the handler's body or in a function of the same file that the
 * handler calls; imported helpers are not followed, so the guard must be visible in the route.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export type Violation = { file: string; problem: string };

export type GuardRules = {
	/** Paths (route groups removed) served to anyone; `/*` at the end covers everything below. */
	publicRoutes: readonly string[];
	/** Calls that authenticate the caller (any of them guards a load or an endpoint). */
	guards: readonly string[];
	/** Calls that authorise a change (every form action must make one). */
	writeGuards: readonly string[];
	/** Paths (route groups removed) whose actions only need a signed-in user (any of `guards`' user checks). */
	selfServiceRoutes: readonly string[];
	/** Wrappers whose handler never returns data (e.g. a 405 for other methods). */
	harmless: readonly string[];
	/** The route group whose layout and handle guard it as a whole. */
	adminGroup: string;
	/** The Handle in hooks.server.ts that guards the admin group. */
	adminGate: string;
};

/**
 * Served to anyone, each for a reason: the landing page, signing in and out, probes and
 * metrics for operators, the device-session API (authenticated by access keys in the body),
 * the API's catch-all that only answers 404 in the API's error shape, and monitors' ping URLs
 * (the secret token in the path is the credential), and the colour theme's form (it only sets
 * a cookie on the posting browser).
 */
export const PUBLIC_ROUTES = ['/', '/login', '/logout', '/theme', '/healthz', '/metrics', '/api/session/*', '/api/cron/[...rest]', '/ping/*'] as const;

/** Pages whose actions change only the signed-in user's own account (admin-gate.ts lets viewers post there). */
export const SELF_SERVICE_ROUTES = ['/admin/account'] as const;

export const DEFAULT_RULES: GuardRules = {
	publicRoutes: PUBLIC_ROUTES,
	selfServiceRoutes: SELF_SERVICE_ROUTES,
	guards: ['requireUser', 'requireAdmin', 'requireApiActor', 'apiRoute'],
	writeGuards: ['requireAdmin'],
	harmless: ['methodNotAllowed'],
	adminGroup: '(admin)',
	adminGate: 'adminGate'
};

const HTTP_EXPORTS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'fallback']);
const ROUTE_FILE = /^\+(page\.server|layout\.server|server)\.(ts|js)$/;

/** Every route file under `routesDir`, sorted. */
export function routeFiles(routesDir: string): string[] {
	const out: string[] = [];
	const walk = (dir: string) => {
		for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
			const p = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(p);
			else if (ROUTE_FILE.test(entry.name)) out.push(p);
		}
	};
	walk(routesDir);
	return out.sort();
}

/** `/(admin)/admin/users` for src/routes/(admin)/admin/users/+page.server.ts. */
export function routeIdOf(file: string, routesDir: string): string {
	const rel = path.relative(routesDir, path.dirname(file)).split(path.sep).filter(Boolean);
	return `/${rel.join('/')}`;
}

/** The URL path of a route id: groups removed. */
export function routePath(routeId: string): string {
	const parts = routeId.split('/').filter((p) => p && !/^\(.*\)$/.test(p));
	return `/${parts.join('/')}`;
}

export function isPublic(routeId: string, publicRoutes: readonly string[]): boolean {
	const p = routePath(routeId);
	return publicRoutes.some((pub) => (pub.endsWith('/*') ? p === pub.slice(0, -2) || p.startsWith(pub.slice(0, -1)) : p === pub));
}

type FnLike = ts.FunctionLikeDeclaration;

/** The module's syntax tree with its top-level functions and exports. */
class Module {
	readonly source: ts.SourceFile;
	readonly functions = new Map<string, ts.Node>();
	readonly exports = new Map<string, ts.Node>();
	readonly reexports: string[] = [];

	constructor(file: string, text: string) {
		this.source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
		for (const stmt of this.source.statements) {
			const exported = ts.canHaveModifiers(stmt) && ts.getModifiers(stmt)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
			if (ts.isFunctionDeclaration(stmt) && stmt.name) {
				this.functions.set(stmt.name.text, stmt);
				if (exported) this.exports.set(stmt.name.text, stmt);
			} else if (ts.isVariableStatement(stmt)) {
				for (const d of stmt.declarationList.declarations) {
					if (!ts.isIdentifier(d.name) || !d.initializer) continue;
					this.functions.set(d.name.text, d.initializer);
					if (exported) this.exports.set(d.name.text, d.initializer);
				}
			} else if (ts.isExportDeclaration(stmt) && stmt.exportClause && ts.isNamedExports(stmt.exportClause)) {
				for (const e of stmt.exportClause.elements) this.reexports.push(e.name.text);
			}
		}
	}
}

function unwrap(node: ts.Node): ts.Node {
	let n = node;
	while (ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isSatisfiesExpression(n) || ts.isTypeAssertionExpression(n)) n = n.expression;
	return n;
}

function calleeName(call: ts.CallExpression): string | null {
	const callee = unwrap(call.expression);
	if (ts.isIdentifier(callee)) return callee.text;
	if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
	return null;
}

/** Whether `node` (or a same-file function it calls) makes a call to one of `names`. */
function calls(mod: Module, node: ts.Node, names: readonly string[], seen = new Set<ts.Node>()): boolean {
	if (seen.has(node)) return false;
	seen.add(node);
	let found = false;
	const visit = (n: ts.Node) => {
		if (found) return;
		if (ts.isCallExpression(n)) {
			const name = calleeName(n);
			if (name !== null && names.includes(name)) {
				found = true;
				return;
			}
			const local = name !== null && ts.isIdentifier(unwrap(n.expression)) ? mod.functions.get(name) : undefined;
			if (local && calls(mod, local, names, seen)) {
				found = true;
				return;
			}
		}
		ts.forEachChild(n, visit);
	};
	visit(node);
	return found;
}

function isFunctionLike(n: ts.Node): n is FnLike {
	return ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n);
}

/** A handler value: a wrapper call (`apiRoute(fn)`), a function, or a name of a local function. */
function handlerGuarded(mod: Module, value: ts.Node, guards: readonly string[], harmless: readonly string[]): boolean {
	const v = unwrap(value);
	if (ts.isCallExpression(v)) {
		const name = calleeName(v);
		return name !== null && (guards.includes(name) || harmless.includes(name));
	}
	if (isFunctionLike(v)) return v.body !== undefined && calls(mod, v.body, guards);
	if (ts.isIdentifier(v)) {
		const local = mod.functions.get(v.text);
		return local !== undefined && local !== value && handlerGuarded(mod, local, guards, harmless);
	}
	return false;
}

type Checked = { file: string; routeId: string; mod: Module; kind: 'server' | 'page' | 'layout' };

/** Which layouts inside the admin group guard their subtree (their load calls a guard). */
function guardedAdminLayouts(files: Checked[], rules: GuardRules): Set<string> {
	const out = new Set<string>();
	for (const f of files) {
		if (f.kind !== 'layout' || !f.routeId.split('/').includes(rules.adminGroup)) continue;
		const load = f.mod.exports.get('load');
		if (load && handlerGuarded(f.mod, load, ['requireUser', 'requireAdmin'], [])) out.add(f.routeId);
	}
	return out;
}

function coveredByAdminGroup(routeId: string, guardedLayouts: Set<string>, gateInstalled: boolean): boolean {
	if (!gateInstalled) return false;
	for (const layout of guardedLayouts) if (routeId === layout || routeId.startsWith(`${layout}/`)) return true;
	return false;
}

/** Whether hooks.server.ts passes the admin gate to `sequence(...)` as `handle`. */
export function gateInstalled(hooksText: string, gate = DEFAULT_RULES.adminGate): boolean {
	const mod = new Module('hooks.server.ts', hooksText);
	const handle = mod.exports.get('handle');
	if (!handle) return false;
	const v = unwrap(handle);
	return ts.isCallExpression(v) && calleeName(v) === 'sequence' && v.arguments.some((a) => ts.isIdentifier(unwrap(a)) && (unwrap(a) as ts.Identifier).text === gate);
}

/**
 * Checks every route file under `routesDir`. `hooksText` is hooks.server.ts's source (the
 * admin-group exemption needs its gate). Returns one entry per problem; empty means guarded.
 */
export function checkRoutes(routesDir: string, hooksText: string, rules: GuardRules = DEFAULT_RULES): Violation[] {
	const files: Checked[] = routeFiles(routesDir).map((file) => {
		const base = path.basename(file);
		const kind = base.startsWith('+server') ? 'server' : base.startsWith('+layout') ? 'layout' : 'page';
		return { file, routeId: routeIdOf(file, routesDir), mod: new Module(file, fs.readFileSync(file, 'utf8')), kind };
	});
	const layouts = guardedAdminLayouts(files, rules);
	const gate = gateInstalled(hooksText, rules.adminGate);
	const violations: Violation[] = [];
	for (const f of files) {
		if (isPublic(f.routeId, rules.publicRoutes)) continue;
		const report = (problem: string) => violations.push({ file: path.relative(routesDir, f.file), problem });
		for (const name of f.mod.reexports) report(`re-exports "${name}": define handlers in the route file so their guard can be checked`);
		if (f.kind === 'server') {
			for (const [name, value] of f.mod.exports) {
				if (HTTP_EXPORTS.has(name) && !handlerGuarded(f.mod, value, rules.guards, rules.harmless)) {
					report(`${name} is not guarded: wrap it in apiRoute(...) or call requireApiActor/requireUser/requireAdmin`);
				}
			}
			continue;
		}
		const load = f.mod.exports.get('load');
		const covered = coveredByAdminGroup(f.routeId, layouts, gate) && !layouts.has(f.routeId);
		if (load && !covered && !handlerGuarded(f.mod, load, ['requireUser', 'requireAdmin'], [])) {
			report('load is not guarded: call requireUser(event) or requireAdmin(event)');
		}
		const actions = f.mod.exports.get('actions');
		if (!actions) continue;
		const obj = unwrap(actions);
		if (!ts.isObjectLiteralExpression(obj)) {
			report('actions must be an object literal so each action can be checked');
			continue;
		}
		for (const prop of obj.properties) {
			const name = prop.name && (ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name)) ? prop.name.text : '(computed)';
			const value = ts.isPropertyAssignment(prop)
				? prop.initializer
				: ts.isMethodDeclaration(prop)
					? prop
					: ts.isShorthandPropertyAssignment(prop)
						? prop.name
						: null;
			const selfService = rules.selfServiceRoutes.includes(routePath(f.routeId));
			if (!value || !handlerGuarded(f.mod, value, selfService ? ['requireUser', 'requireAdmin'] : rules.writeGuards, [])) {
				report(
					selfService
						? `action "${name}" is not guarded: call requireUser(event) first`
						: `action "${name}" is not guarded: call requireAdmin(event) first (viewers are read-only)`
				);
			}
		}
	}
	return violations;
}
