/**
 * Live-ish admin pages without a stream: re-run the loads that depend on `dep` every `ms` while
 * the tab is visible, never two at once. Returns the stop function (for onMount's cleanup).
 */
import { invalidate } from '$app/navigation';

export function pollInvalidate(dep: `${string}:${string}`, ms = 3_000): () => void {
	let busy = false;
	const refresh = async () => {
		if (busy || document.hidden) return;
		busy = true;
		try {
			await invalidate(dep);
		} catch {
			// a failed refresh (server restarting…) is retried at the next tick
		} finally {
			busy = false;
		}
	};
	const timer = setInterval(refresh, ms);
	// Coming back to the tab shows fresh data at once.
	const onVisible = () => {
		if (!document.hidden) void refresh();
	};
	document.addEventListener('visibilitychange', onVisible);
	return () => {
		clearInterval(timer);
		document.removeEventListener('visibilitychange', onVisible);
	};
}
