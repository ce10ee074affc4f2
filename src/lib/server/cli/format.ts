/** Terminal output for the CLI: aligned tables, instants, relative times. */

/** Writes and waits until the text is handed over, so `process.exit` cannot cut it short. */
export function out(text: string, stream: NodeJS.WriteStream = process.stdout): Promise<void> {
	return new Promise((resolve) => {
		stream.write(text.endsWith('\n') ? text : `${text}\n`, () => resolve());
	});
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
	const all = [header, ...rows];
	const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
	return all
		.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd())
		.join('\n');
}

/** ISO 8601 to the second: milliseconds are noise for a schedule. */
export function isoSeconds(d: Date): string {
	return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const UNITS: [number, string][] = [
	[24 * 3600_000, 'd'],
	[3600_000, 'h'],
	[60_000, 'min'],
	[1000, 's']
];

/** "in 4 min", "2 h ago", "now"; rounded to the largest whole unit. */
export function relative(d: Date, now = new Date()): string {
	const diff = d.getTime() - now.getTime();
	const abs = Math.abs(diff);
	if (abs < 1000) return 'now';
	const [size, unit] = UNITS.find(([s]) => abs >= s)!;
	const n = Math.floor(abs / size);
	return diff > 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}
