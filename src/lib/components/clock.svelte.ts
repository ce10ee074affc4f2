/**
 * A shared, coarse clock for relative times: one interval for the whole page, running only
 * while some component reads it (svelte/reactivity's createSubscriber), so "3 minutes ago"
 * stays true without a timer per <Time>.
 */
import { createSubscriber } from 'svelte/reactivity';
import { browser } from '$app/environment';

const TICK_MS = 15_000;
let current = Date.now();

const subscribe = createSubscriber((update) => {
	current = Date.now();
	const timer = setInterval(() => {
		current = Date.now();
		update();
	}, TICK_MS);
	return () => clearInterval(timer);
});

/** Milliseconds since the epoch; reactive (re-read every 15 s) inside effects and templates. */
export function now(): number {
	if (!browser) return Date.now();
	subscribe();
	return current;
}
