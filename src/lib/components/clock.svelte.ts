/**
 * The one live clock of every relative time on a page: one interval for the whole page, running
 * only while some component reads it (svelte/reactivity's createSubscriber), so "in 8 seconds"
 * counts down and "3 minutes ago" stays true without a timer per <Time>.
 */
import { createSubscriber } from 'svelte/reactivity';
import { browser } from '$app/environment';

const TICK_MS = 1_000;
let current = Date.now();

const subscribe = createSubscriber((update) => {
	current = Date.now();
	const timer = setInterval(() => {
		current = Date.now();
		update();
	}, TICK_MS);
	return () => clearInterval(timer);
});

/** Milliseconds since the epoch; reactive (re-read every second) inside effects and templates. */
export function now(): number {
	if (!browser) return Date.now();
	subscribe();
	return current;
}
