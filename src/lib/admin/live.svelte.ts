/**
 * Live updates in the browser, the one way admin pages refresh themselves: one EventSource on
 * /admin/events; a message that concerns the page re-runs its loads (those that depend on its
 * topic: `depends('app:cron')`, `app:sessions`, `app:email`, `app:alerts`, `app:monitors`), at most one refresh in flight and
 * one queued, so a burst of runs costs a couple of reloads, not one each. On the cron pages a
 * settings change re-runs every load (the layout's pause banner). Never during a navigation.
 */
import { untrack } from 'svelte';
import { SvelteMap } from 'svelte/reactivity';
import { invalidate, invalidateAll } from '$app/navigation';
import { navigating, page } from '$app/state';
import type { LiveMessage } from '$lib/live-message';

export const LIVE_URL = '/admin/events';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

/**
 * The latest status of every run the stream has named on this page, whatever the page shows
 * (the layout's "Run #8 queued" message follows its run with it).
 */
export const runStatuses = new SvelteMap<number, string>();

/** What a page shows: runs and jobs (the cron pages), device sessions and keys, the outbox, notifications, or push monitors. */
export type LiveTopic = 'cron' | 'sessions' | 'email' | 'alerts' | 'monitors';

/** The load dependency each topic's pages declare (`event.depends(...)`). */
const DEPENDENCY: Record<LiveTopic, `app:${string}`> = { cron: 'app:cron', sessions: 'app:sessions', email: 'app:email', alerts: 'app:alerts', monitors: 'app:monitors' };

export type LiveOptions = {
	/** Default `cron`. */
	topic?: LiveTopic;
	/** Cron pages: only messages about this job (and big batches) refresh the page; all of them when absent. */
	job?: () => string | undefined;
	/** Monitor pages: only news about this monitor refreshes the page; any monitor's when absent. */
	monitor?: () => string | undefined;
};

/** `key` is the page's job (cron) or monitor (monitors), if it shows one. */
export function concerns(msg: LiveMessage, topic: LiveTopic, key: string | undefined): boolean {
	if (topic === 'sessions') return msg.sessions;
	if (topic === 'email') return msg.email;
	if (topic === 'alerts') return msg.alerts;
	if (msg.all || msg.settings) return true;
	if (topic === 'monitors') return key === undefined ? msg.monitors.length > 0 : msg.monitors.includes(key) || msg.monitors.includes('*');
	if (!msg.runs.length && !msg.jobs.length) return false;
	return key === undefined || msg.jobs.includes(key);
}

/** Call during component init; returns the connection state for an indicator. */
export function liveUpdates(opts: LiveOptions = {}): { readonly state: LiveState } {
	let state = $state<LiveState>('connecting');
	const topic = opts.topic ?? 'cron';

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
				await (what === 'all' ? invalidateAll() : invalidate(DEPENDENCY[topic]));
			} catch {
				// the next message or reconnect refreshes again
			} finally {
				busy = false;
				const next = again;
				again = null;
				if (next) void refresh(next);
			}
		};
		// The sessions page shows heartbeat times: the server then watches them too. `since`: when
		// the page's data was read (the admin layout's load); the stream catches up on any change
		// made between then and now.
		const since = untrack(() => page.data.liveSince);
		const qs = [topic === 'sessions' ? 'heartbeats=1' : '', typeof since === 'number' ? `since=${since}` : ''].filter(Boolean).join('&');
		const source = new EventSource(qs ? `${LIVE_URL}?${qs}` : LIVE_URL);
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
			for (const [id, , status] of msg.runs) runStatuses.set(id, status);
			if (!concerns(msg, topic, topic === 'monitors' ? opts.monitor?.() : opts.job?.())) return;
			const what = topic === 'cron' && msg.settings ? 'all' : 'page';
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
