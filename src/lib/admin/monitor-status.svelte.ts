/**
 * A monitor's status as of now in the browser: a monitor stored `up` whose expected ping is
 * overdue reads `late` the moment it is, without waiting for the server (a per-second clock,
 * only while a monitors page is open).
 */
import { onMount } from 'svelte';

export function monitorClock(): { readonly now: number } {
	let now = $state(Date.now());
	onMount(() => {
		const tick = setInterval(() => (now = Date.now()), 1_000);
		return () => clearInterval(tick);
	});
	return {
		get now() {
			return now;
		}
	};
}

export function statusNow(m: { status: string; expectedAt: string | null }, now: number): string {
	return m.status === 'up' && m.expectedAt !== null && Date.parse(m.expectedAt) < now ? 'late' : m.status;
}
