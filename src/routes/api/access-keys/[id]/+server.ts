import { apiRoute, methodNotAllowed } from '$lib/server/api/route';
import { revokeAccessKey } from '$lib/server/devices/keys';
import { idParam } from '$lib/schemas/devices';
import { invalid } from '$lib/server/errors';
import { runtime } from '$lib/server/runtime';
import type { RequestHandler } from './$types';

/** SPEC §8.3: revokes the key and ends its open session → 204 (again 204 once revoked). */
export const DELETE: RequestHandler = apiRoute(async ({ params }, actor) => {
	const id = idParam.safeParse(params.id);
	if (!id.success) throw invalid(id.error, 'id');
	await revokeAccessKey(runtime().database.sql, id.data, actor);
	return new Response(null, { status: 204 });
});

export const fallback: RequestHandler = methodNotAllowed('DELETE');
