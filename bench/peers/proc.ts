/**
 * CPU and memory as the kernel counts them, from /proc (Linux only).
 *
 * CPU of a process: utime + stime of /proc/<pid>/stat (every thread: JS, GC, libuv pool).
 * CPU of the PostgreSQL server: the postmaster's own utime + stime, plus cutime + cstime (every
 * child it has already reaped: backends that closed, autovacuum workers), plus utime + stime of
 * each live child (backends, walwriter, checkpointer …). The difference of two readings is
 * therefore exact across connections opening and closing in between.
 */
import fs from 'node:fs';

/** USER_HZ: /proc counts CPU time in ticks of 10 ms on Linux (x86-64, arm64). */
const TICK_MS = 10;

type Stat = { ppid: number; utime: number; stime: number; cutime: number; cstime: number };

function readStat(pid: number | 'self'): Stat | undefined {
	let text: string;
	try {
		text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return undefined;
	}
	// The command name (field 2) may hold spaces: fields are counted after its closing paren.
	const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
	return { ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), cutime: Number(f[13]), cstime: Number(f[14]) };
}

/** CPU ms used so far by one process (all its threads); NaN once it has gone. */
export function processCpuMs(pid: number | 'self'): number {
	const s = readStat(pid);
	return s ? (s.utime + s.stime) * TICK_MS : NaN;
}

/** The part of processCpuMs spent in the kernel (system calls: socket reads and writes…). */
export function processSystemCpuMs(pid: number | 'self'): number {
	const s = readStat(pid);
	return s ? s.stime * TICK_MS : NaN;
}

function numericPids(): number[] {
	return fs
		.readdirSync('/proc')
		.filter((d) => /^\d+$/.test(d))
		.map(Number);
}

/** Live children of `parent` with their CPU ms. */
export function childrenCpuMs(parent: number): Map<number, number> {
	const out = new Map<number, number>();
	for (const pid of numericPids()) {
		const s = readStat(pid);
		if (s && s.ppid === parent) out.set(pid, (s.utime + s.stime) * TICK_MS);
	}
	return out;
}

/** CPU ms used so far by the whole PostgreSQL server (postmaster, reaped and live children). */
export function serverCpuMs(postmaster: number): number {
	const s = readStat(postmaster);
	if (!s) return NaN;
	let ms = (s.utime + s.stime + s.cutime + s.cstime) * TICK_MS;
	for (const v of childrenCpuMs(postmaster).values()) ms += v;
	return ms;
}

/** The postmaster of a backend: its parent process. */
export function parentOf(pid: number): number {
	const s = readStat(pid);
	if (!s) throw new Error(`no process ${pid}`);
	return s.ppid;
}

export type Memory = { rssMb: number; peakMb: number };

/** Resident set now (VmRSS) and its peak since the process started (VmHWM), in MB. */
export function memoryOf(pid: number | 'self'): Memory {
	let text = '';
	try {
		text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	} catch {
		return { rssMb: NaN, peakMb: NaN };
	}
	const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
	return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}
