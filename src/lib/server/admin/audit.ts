/** /admin/audit: the audit log newest first, keyset pages, filtered by entity. */
import type { Sql } from 'postgres';
import { z } from 'zod';
import { idCursorSchema, lenient } from '../../schemas/query';
import { queryObject } from '../forms';

export const AUDIT_PAGE_SIZE = 50;

export const auditQuerySchema = lenient({
	entity: z.string().max(64),
	entityId: z.string().max(200),
	before: idCursorSchema,
	after: idCursorSchema
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

/** One changed field: its value before and after, as compact JSON text. */
export type Change = { field: string; before: string | null; after: string | null };

export type AuditRow = {
	id: number;
	at: string;
	actor: string;
	action: string;
	entity: string;
	entityId: string | null;
	/** Fields that differ (every field for a creation or deletion). */
	changes: Change[];
};

export type AuditPage = { entries: AuditRow[]; older: number | null; newer: number | null; entities: string[]; query: AuditQuery };

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A shallow diff of two snapshots: only the keys whose JSON differs. */
export function diff(before: unknown, after: unknown): Change[] {
	if (!isObject(before) && !isObject(after)) {
		return json(before) === json(after) ? [] : [{ field: '(value)', before: json(before ?? undefined), after: json(after ?? undefined) }];
	}
	const b = isObject(before) ? before : {};
	const a = isObject(after) ? after : {};
	const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
	return keys
		.map((field) => ({ field, before: field in b ? json(b[field]) : null, after: field in a ? json(a[field]) : null }))
		.filter((c) => c.before !== c.after);
}

type Raw = { id: number; at: Date; actor: string; action: string; entity: string; entityId: string | null; before: unknown; after: unknown };

export async function listAudit(sql: Sql, params: URLSearchParams, limit = AUDIT_PAGE_SIZE): Promise<AuditPage> {
	const query = auditQuerySchema.parse(queryObject(params));
	const desc = query.after === undefined;
	const rowsP = sql<Raw[]>`
		select id, at, actor, action, entity, entity_id as "entityId", before, after
		from audit_log
		where true
			${query.entity ? sql`and entity = ${query.entity}` : sql``}
			${query.entity && query.entityId ? sql`and entity_id = ${query.entityId}` : sql``}
			${desc ? (query.before ? sql`and id < ${query.before}` : sql``) : sql`and id > ${query.after!}`}
		order by id ${sql.unsafe(desc ? 'desc' : 'asc')}
		limit ${limit + 1}`;
	// The distinct entities by a loose index scan on (entity, entity_id, id desc).
	const entitiesP = sql<{ e: string }[]>`
		with recursive t(e) as (
			select min(entity) from audit_log
			union all
			select (select min(entity) from audit_log where entity > t.e) from t where t.e is not null
		)
		select e from t where e is not null`;
	const [rows, entities] = await Promise.all([rowsP, entitiesP]);
	const more = rows.length > limit;
	const page = rows.slice(0, limit);
	if (!desc) page.reverse();
	const entries = page.map((r) => ({
		id: r.id,
		at: r.at.toISOString(),
		actor: r.actor,
		action: r.action,
		entity: r.entity,
		entityId: r.entityId,
		changes: diff(r.before, r.after)
	}));
	const first = entries[0]?.id;
	const last = entries[entries.length - 1]?.id;
	return {
		entries,
		older: desc ? (more ? (last ?? null) : null) : (last ?? (query.after! + 1)),
		newer: desc ? (query.before !== undefined ? (first ?? query.before) - (entries.length ? 0 : 1) : null) : more ? (first ?? null) : null,
		entities: entities.map((e) => e.e),
		query
	};
}
