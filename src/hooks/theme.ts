/** The browser's colour theme (lib/server/theme.ts) into `locals.theme` and the page's `<html class>`. */
import type { Handle } from '@sveltejs/kit';
import { themedHtml, themeOf } from '$lib/server/theme';

export const themeHandle: Handle = async ({ event, resolve }) => {
	const theme = themeOf(event.cookies);
	event.locals.theme = theme;
	return resolve(event, { transformPageChunk: ({ html }) => themedHtml(html, theme) });
};
