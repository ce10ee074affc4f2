import { methodNotAllowed } from '$lib/server/api/route';
import { chooseTheme } from '$lib/server/theme';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = (event) => chooseTheme(event);

export const fallback: RequestHandler = methodNotAllowed('POST');
