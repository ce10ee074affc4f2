import type { Queryable } from '../db';
import { jsonValue } from '../db/json';

export type AuditEntry = {
	actor: string;
	action: string;
	entity: string;
	entityId?: string | null;
	before?: unknown;
	after?: unknown;
};

/** Appends to `audit_log`: every change of a job, the settings, a user or a key (README, "Security"). */
export async function audit(sql: Queryable, e: AuditEntry): Promise<void> {
	await sql`
		insert into audit_log (actor, action, entity, entity_id, before, after)
		values (${e.actor}, ${e.action}, ${e.entity}, ${e.entityId ?? null},
			${e.before === undefined ? null : sql.json(jsonValue(e.before))},
			${e.after === undefined ? null : sql.json(jsonValue(e.after))})`;
}
