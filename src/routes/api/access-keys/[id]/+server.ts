import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import { revokeAccessKey } from '$lib/server/devices/keys';
import { idParam } from '$lib/schemas/devices';
import { invalid } from '$lib/server/errors';
import type { RequestHandler } from './$types';

/** Revokes the key and ends its open session → 204 (again 204 once revoked). */
export const DELETE: RequestHandler = apiRoute(async ({ params, locals }, actor) => {
	const id = idParam.safeParse(params.id);
	if (!id.success) throw invalid(id.error, 'id');
	await revokeAccessKey(locals.services.sql, id.data, actor);
	return new Response(null, { status: 204 });
});

export const fallback: RequestHandler = methodNotAllowed('DELETE');
