/**
 * A run's output: `ctx.log` lines of in-process handlers, a process's stdout and stderr. Kept
 * as the first and the last OUTPUT_HEAD_BYTES / OUTPUT_TAIL_BYTES of what was produced, with a
 * marker saying how much was left out between them. Offsets count bytes of the output as it
 * was produced, so a reader can follow a running run (`readOutput`).
 */
import { inspect } from 'node:util';

export const OUTPUT_HEAD_BYTES = 64 * 1024;
export const OUTPUT_TAIL_BYTES = 64 * 1024;

/** What is stored for a run: the text shown, the bytes produced, where the kept tail starts. */
export type OutputSnapshot = {
	/** Head, then (when bytes were left out) the marker and the tail. */
	text: string;
	/** Bytes produced so far. */
	bytes: number;
	/** Offset (in the produced bytes) where the kept tail starts; null when nothing was left out. */
	tailAt: number | null;
};

export const omittedMarker = (bytes: number) => `\n… ${bytes} bytes of output left out …\n`;

export class OutputBuffer {
	private head: Buffer[] = [];
	private headLen = 0;
	/** The tail as a ring of chunks, trimmed to OUTPUT_TAIL_BYTES. */
	private tail: Buffer[] = [];
	private tailLen = 0;
	private size = 0;
	/** Output was added since the last snapshot. */
	private isDirty = false;

	/** `onDirty` is called when output is added (or marked unwritten) to a clean buffer. */
	constructor(private readonly onDirty: () => void = () => {}) {}

	get dirty(): boolean {
		return this.isDirty;
	}

	private markDirty(): void {
		if (this.isDirty) return;
		this.isDirty = true;
		this.onDirty();
	}

	get bytes(): number {
		return this.size;
	}

	/** Adds raw output (a process's stdout or stderr). */
	write(chunk: Buffer | string): void {
		let b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
		if (!b.length) return;
		this.size += b.length;
		this.markDirty();
		if (this.headLen < OUTPUT_HEAD_BYTES) {
			const take = Math.min(b.length, OUTPUT_HEAD_BYTES - this.headLen);
			this.head.push(b.subarray(0, take));
			this.headLen += take;
			b = b.subarray(take);
			if (!b.length) return;
		}
		this.tail.push(b);
		this.tailLen += b.length;
		while (this.tailLen - this.tail[0]!.length >= OUTPUT_TAIL_BYTES) this.tailLen -= this.tail.shift()!.length;
	}

	/** `ctx.log(...)`: one line, values formatted as `console.log` would. */
	log(...args: unknown[]): void {
		this.write(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 4, breakLength: Infinity }))).join(' ') + '\n');
	}

	/** Marks the output as not yet written (a failed write is tried again). */
	touch(): void {
		if (this.size) this.markDirty();
	}

	snapshot(): OutputSnapshot | null {
		this.isDirty = false;
		if (!this.size) return null;
		let tail = Buffer.concat(this.tail);
		if (tail.length > OUTPUT_TAIL_BYTES) tail = tail.subarray(tail.length - OUTPUT_TAIL_BYTES);
		const head = Buffer.concat(this.head);
		const omitted = this.size - head.length - tail.length;
		if (!omitted) return { text: Buffer.concat([head, tail]).toString('utf8'), bytes: this.size, tailAt: null };
		return { text: head.toString('utf8') + omittedMarker(omitted) + tail.toString('utf8'), bytes: this.size, tailAt: this.size - tail.length };
	}
}

/**
 * The stored output from byte `offset` of what was produced: a reader whose offset falls in the
 * part left out gets the marker and continues at the kept tail. `next` is the offset to ask
 * for next time.
 */
export function readOutput(stored: { text: string | null; bytes: number | null; tailAt: number | null }, offset: number): { output: string; next: number } {
	const all = Buffer.from(stored.text ?? '', 'utf8');
	const size = stored.bytes ?? all.length;
	if (offset >= size) return { output: '', next: size };
	if (stored.tailAt === null) return { output: all.subarray(Math.min(offset, all.length)).toString('utf8'), next: size };
	const tailLen = size - stored.tailAt;
	const tail = all.subarray(all.length - tailLen);
	const headLen = Math.min(OUTPUT_HEAD_BYTES, stored.tailAt);
	if (offset >= stored.tailAt) return { output: tail.subarray(offset - stored.tailAt).toString('utf8'), next: size };
	const marker = omittedMarker(stored.tailAt - headLen);
	const fromHead = offset < headLen ? all.subarray(offset, headLen).toString('utf8') : '';
	return { output: fromHead + marker + tail.toString('utf8'), next: size };
}
