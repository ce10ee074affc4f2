/**
 * CPU and peak memory of process groups, by sampling /proc (Linux). One scan of /proc every
 * `intervalMs` serves every tracked group: each process's `pgrp`, its CPU time (user + system,
 * plus that of the children it has waited for) and its peak resident set (VmHWM).
 *
 * What sampling can miss: CPU spent in the last interval before a process exits (its /proc entry
 * is gone once it has been reaped), processes that start and end between two scans (a program
 * that runs for less than one interval may show 0), and CPU of processes that left the group
 * (`setsid`). Peak memory is each process's own high-water mark as
 * last seen; the group's figure is the largest single process (not a sum), so two processes at
 * their peaks at different times are not added up.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU in ticks of 10 ms. */
const TICK_MS = 10;

export type GroupUsage = {
	/** User + system CPU of the group's processes (and their waited-for children), in ms. */
	cpuMs: number;
	/** The largest peak resident set seen among the group's processes, in kB. */
	maxRssKb: number;
};

type Proc = { pgrp: number; cpuTicks: number };

/** Parses `/proc/<pid>/stat`: the command name may contain spaces and parentheses. */
export function parseStat(text: string): Proc | null {
	const close = text.lastIndexOf(')');
	if (close < 0) return null;
	const f = text.slice(close + 2).split(' ');
	// After ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
	const pgrp = Number(f[2]);
	const cpuTicks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
	return Number.isFinite(pgrp) && Number.isFinite(cpuTicks) ? { pgrp, cpuTicks } : null;
}

function read(path: string): string | null {
	try {
		return readFileSync(path, 'utf8');
	} catch {
		return null; // the process ended meanwhile
	}
}

export class ProcessSampler {
	private groups = new Map<number, GroupUsage>();
	private timer: ReturnType<typeof setInterval> | undefined;

	constructor(private readonly intervalMs = 100) {}

	/** Starts sampling a process group (its leader's pid). */
	track(pgid: number): void {
		this.groups.set(pgid, { cpuMs: 0, maxRssKb: 0 });
		this.timer ??= setInterval(() => this.scan(), this.intervalMs);
		this.timer.unref?.();
	}

	/** Stops sampling a group; returns what was seen. */
	untrack(pgid: number): GroupUsage {
		const usage = this.groups.get(pgid) ?? { cpuMs: 0, maxRssKb: 0 };
		this.groups.delete(pgid);
		if (!this.groups.size) {
			clearInterval(this.timer);
			this.timer = undefined;
		}
		return usage;
	}

	usage(pgid: number): GroupUsage | undefined {
		return this.groups.get(pgid);
	}

	/** Is any process of the group alive? Cheap when none is (no scan of /proc). */
	anyAlive(pgid: number): boolean {
		try {
			process.kill(-pgid, 0);
		} catch {
			return false;
		}
		// Zombies answer too: look closer.
		return this.members(pgid).length > 0;
	}

	/** Pids of live processes in the group (a scan of /proc). */
	members(pgid: number): number[] {
		const pids: number[] = [];
		for (const name of readdirSync('/proc')) {
			if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
			const stat = read(`/proc/${name}/stat`);
			const p = stat && parseStat(stat);
			if (p && p.pgrp === pgid && !stat!.slice(stat!.lastIndexOf(')') + 2).startsWith('Z')) pids.push(Number(name));
		}
		return pids;
	}

	/** One pass over /proc for every tracked group. */
	scan(): void {
		if (!this.groups.size) return;
		const cpu = new Map<number, number>();
		for (const name of readdirSync('/proc')) {
			if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
			const stat = read(`/proc/${name}/stat`);
			const p = stat && parseStat(stat);
			if (!p) continue;
			const group = this.groups.get(p.pgrp);
			if (!group) continue;
			cpu.set(p.pgrp, (cpu.get(p.pgrp) ?? 0) + p.cpuTicks);
			const hwm = /VmHWM:\s+(\d+) kB/.exec(read(`/proc/${name}/status`) ?? '');
			if (hwm) group.maxRssKb = Math.max(group.maxRssKb, Number(hwm[1]));
		}
		for (const [pgid, ticks] of cpu) {
			const group = this.groups.get(pgid)!;
			group.cpuMs = Math.max(group.cpuMs, ticks * TICK_MS);
		}
	}
}
