/**
 * Wall times in an IANA zone (the `datetime-local` inputs of the filters carry no zone; the
 * page says which zone it reads them in) to instants and back.
 */

import { zonedParts } from '../../format/time';

function wallOf(epochMs: number, zone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number> {
	const p = zonedParts(epochMs, zone);
	return { year: Number(p.year), month: Number(p.month), day: Number(p.day), hour: Number(p.hour), minute: Number(p.minute), second: Number(p.second) };
}

/** The zone's offset from UTC at that instant, in ms. */
function offsetAt(epochMs: number, zone: string): number {
	const w = wallOf(epochMs, zone);
	const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
	return asUtc - Math.floor(epochMs / 1000) * 1000;
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** `2025-03-30T02:30` read in `zone` → the instant (a time in a DST gap moves forward). */
export function wallTimeToInstant(wall: string, zone: string): Date | null {
	const m = WALL.exec(wall);
	if (!m) return null;
	const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
	const asUtc = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
	if (Number.isNaN(asUtc)) return null;
	// Two passes settle the offset on either side of a transition.
	let t = asUtc - offsetAt(asUtc, zone);
	t = asUtc - offsetAt(t, zone);
	return new Date(t);
}

/** An instant as the `datetime-local` value of its wall time in `zone` (to refill the form). */
export function instantToWallTime(at: Date, zone: string): string {
	const w = wallOf(at.getTime(), zone);
	const p = (n: number) => String(n).padStart(2, '0');
	return `${w.year}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}`;
}
