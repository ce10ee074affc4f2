/**
 * A frozen database for fault tests: SIGSTOP on every process of one PostgreSQL cluster (the
 * postmaster named in its postmaster.pid and all its children), as a VM freeze or a stuck host
 * would leave it: connections are accepted by the kernel but nothing answers. Never use it on
 * a server other tests share.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export async function postmasterPid(pgDir: string): Promise<number> {
	const text = await fs.readFile(path.join(pgDir, 'postmaster.pid'), 'utf8');
	return Number(text.split('\n')[0]);
}

/** Live children of `pid`, read from /proc (Linux). */
async function childrenOf(pid: number): Promise<number[]> {
	const out: number[] = [];
	for (const entry of await fs.readdir('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
		// "pid (comm) state ppid …": comm may contain spaces, so parse after its closing paren.
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		if (Number(fields[1]) === pid) out.push(Number(entry));
	}
	return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
	try {
		process.kill(pid, sig);
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
	}
}

/**
 * Stops every process of the cluster in `pgDir`; resolves with a function that resumes them.
 * The postmaster goes first so it forks nothing new, then its children (twice over, for one
 * that was being forked at that moment).
 */
export async function freezeCluster(pgDir: string): Promise<() => Promise<void>> {
	const postmaster = await postmasterPid(pgDir);
	signal(postmaster, 'SIGSTOP');
	const stopped = new Set<number>();
	for (let pass = 0; pass < 2; pass++) {
		for (const pid of await childrenOf(postmaster)) {
			signal(pid, 'SIGSTOP');
			stopped.add(pid);
		}
	}
	return async () => {
		for (const pid of stopped) signal(pid, 'SIGCONT');
		signal(postmaster, 'SIGCONT');
	};
}
