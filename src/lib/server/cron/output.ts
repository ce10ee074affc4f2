import { inspect } from 'node:util';

/** Job output kept per run; beyond it the log notes how much was dropped. */
export const OUTPUT_CAP_BYTES = 64 * 1024;

/** Collects `ctx.log(...)` lines up to a cap. */
export class OutputBuffer {
	private parts: string[] = [];
	private size = 0;
	private dropped = 0;

	log(...args: unknown[]): void {
		const line = args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 4, breakLength: Infinity }))).join(' ') + '\n';
		if (this.size + line.length > OUTPUT_CAP_BYTES) {
			this.dropped += line.length;
			return;
		}
		this.parts.push(line);
		this.size += line.length;
	}

	text(): string | null {
		if (!this.size && !this.dropped) return null;
		const body = this.parts.join('');
		return this.dropped ? `${body}… output truncated: ${this.dropped} more bytes not kept\n` : body;
	}
}
