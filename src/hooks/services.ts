/**
 * Hands every request the services `boot` built once (runtime.ts) as `event.locals.services`:
 * loads, actions and endpoints take what they need from there and pass it on.
 */
import type { Handle } from '@sveltejs/kit';
import type { Services } from '$lib/server/runtime';

export function attachServices(booted: () => Services | undefined): Handle {
	return async ({ event, resolve }) => {
		const services = booted();
		// `init` boots before the first request is handled; a request before that is a bug.
		if (!services) throw new Error('Cronkit is not booted');
		event.locals.services = services;
		return resolve(event);
	};
}
