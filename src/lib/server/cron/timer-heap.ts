/** A binary min-heap of fire instants: one timer serves every job (see timers.ts). */
export type HeapEntry = { at: number; key: string; gen: number };

export class TimerHeap {
	private items: HeapEntry[] = [];

	get size(): number {
		return this.items.length;
	}

	peek(): HeapEntry | undefined {
		return this.items[0];
	}

	push(e: HeapEntry): void {
		const a = this.items;
		a.push(e);
		let i = a.length - 1;
		while (i > 0) {
			const p = (i - 1) >> 1;
			if (a[p]!.at <= a[i]!.at) break;
			[a[p], a[i]] = [a[i]!, a[p]!];
			i = p;
		}
	}

	pop(): HeapEntry | undefined {
		const a = this.items;
		const top = a[0];
		const last = a.pop();
		if (a.length && last) {
			a[0] = last;
			let i = 0;
			for (;;) {
				const l = 2 * i + 1;
				const r = l + 1;
				let m = i;
				if (l < a.length && a[l]!.at < a[m]!.at) m = l;
				if (r < a.length && a[r]!.at < a[m]!.at) m = r;
				if (m === i) break;
				[a[m], a[i]] = [a[i]!, a[m]!];
				i = m;
			}
		}
		return top;
	}

	entries(): readonly HeapEntry[] {
		return this.items;
	}

	/** Drops stale entries (lazy deletion keeps re-arming O(log n)). */
	compact(isLive: (e: HeapEntry) => boolean): void {
		const live = this.items.filter(isLive);
		this.items = [];
		for (const e of live) this.push(e);
	}
}
