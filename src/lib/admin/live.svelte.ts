/**
 * Live updates in the browser: one EventSource on /admin/events; a message that concerns the
 * page re-runs its loads (`depends('app:cron')`), at most one refresh in flight and one
 * queued, so a burst of runs costs a couple of reloads, not one each. A settings change
 * re-runs every load (the layout's pause banner). Never during a navigation.
 */
import { invalidate, invalidateAll } from '$app/navigation';
import { navigating } from '$app/state';

export const LIVE_DEPENDENCY = 'app:cron';
export const LIVE_URL = '/admin/events';

/** Mirrors LiveMessage in $lib/server/admin/live.ts. */
export type LiveMessage = { runs: [number, string, string][]; jobs: string[]; all: boolean; settings: boolean; monitors: string[] };

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export type LiveOptions = {
	/** Only messages about this job (and big batches) refresh the page; all of them when absent. */
	job?: () => string | undefined;
	/**
	 * A monitors page: refreshed by monitor news (about this one, when it returns a key), not by
	 * runs. Without it, monitor news alone refreshes nothing.
	 */
	monitor?: () => string | undefined;
};

export function concerns(msg: LiveMessage, opts: LiveOptions): boolean {
	if (msg.all || msg.settings) return true;
	if (opts.monitor) {
		const key = opts.monitor();
		const monitors = msg.monitors ?? [];
		return key === undefined ? monitors.length > 0 : monitors.includes(key) || monitors.includes('*');
	}
	if (!msg.runs.length && !msg.jobs.length) return false;
	const job = opts.job?.();
	return job === undefined || msg.jobs.includes(job);
}

/** Call during component init; returns the connection state for an indicator. */
export function liveUpdates(opts: LiveOptions = {}): { readonly state: LiveState } {
	let state = $state<LiveState>('connecting');

	$effect(() => {
		let busy = false;
		let again: 'page' | 'all' | null = null;
		const refresh = async (what: 'page' | 'all') => {
			// An invalidation started during a navigation would cancel it (SvelteKit keeps the
			// latest load only), and the navigation brings fresh data anyway.
			if (navigating.to) return;
			if (busy) {
				again = again === 'all' || what === 'all' ? 'all' : 'page';
				return;
			}
			busy = true;
			try {
				await (what === 'all' ? invalidateAll() : invalidate(LIVE_DEPENDENCY));
			} catch {
				// the next message or reconnect refreshes again
			} finally {
				busy = false;
				const next = again;
				again = null;
				if (next) void refresh(next);
			}
		};
		const source = new EventSource(LIVE_URL);
		source.onopen = () => {
			// Anything may have changed while disconnected.
			if (state === 'reconnecting') void refresh('page');
			state = 'live';
		};
		source.onerror = () => {
			state = 'reconnecting';
		};
		// A hidden tab does not reload on every run: it catches up once when shown again.
		let missed: 'page' | 'all' | null = null;
		source.onmessage = (e: MessageEvent<string>) => {
			let msg: LiveMessage;
			try {
				msg = JSON.parse(e.data) as LiveMessage;
			} catch {
				return;
			}
			if (!concerns(msg, opts)) return;
			const what = msg.settings ? 'all' : 'page';
			if (document.hidden) missed = missed === 'all' ? 'all' : what;
			else void refresh(what);
		};
		const onVisible = () => {
			if (document.hidden || !missed) return;
			const what = missed;
			missed = null;
			void refresh(what);
		};
		document.addEventListener('visibilitychange', onVisible);
		return () => {
			source.close();
			document.removeEventListener('visibilitychange', onVisible);
		};
	});

	return {
		get state() {
			return state;
		}
	};
}
