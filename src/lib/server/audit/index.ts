import type { Sql, TransactionSql } from 'postgres';

export type AuditEntry = {
	actor: string;
	action: string;
	entity: string;
	entityId?: string | null;
	before?: unknown;
	after?: unknown;
};

/** Appends to `audit_log` (SPEC §7: every change of a job, the config, a user or a key). */
export async function audit(sql: Sql | TransactionSql, e: AuditEntry): Promise<void> {
	await sql`
		insert into audit_log (actor, action, entity, entity_id, before, after)
		values (${e.actor}, ${e.action}, ${e.entity}, ${e.entityId ?? null},
			${e.before === undefined ? null : sql.json(e.before as never)},
			${e.after === undefined ? null : sql.json(e.after as never)})`;
}
