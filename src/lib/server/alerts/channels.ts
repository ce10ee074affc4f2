/**
 * Notification channels: where alerts go (README.md#alerts-and-monitors). A webhook's URL is a
 * secret (Slack and Discord put the credential in it): write-only like an http job's secrets,
 * stored encrypted under SECRET_KEY, shown as `https://host/••••`, kept when an edit sends that
 * back. Its address is checked against the egress policy of http jobs when it is saved (a
 * literal denied address) and on every delivery (delivery.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import type { ChannelType, WebhookFormat } from '../../names';
import { createChannelSchema, updateEmailSchema, updateWebhookSchema, webhookUrl } from '../../schemas/alerts';
import { audit } from '../audit';
import { MASK } from '../cron/http-job';
import { notify } from '../cron/notify';
import type { Actor } from '../audit/actor';
import type { EgressPolicy } from '../egress/policy';
import { fieldError, invalid, notFound } from '../errors';
import type { SecretBox } from '../secrets/box';

export type ChannelDeps = { sql: Sql; secrets: SecretBox; egress: EgressPolicy };

export type ChannelView = {
	id: string;
	name: string;
	type: ChannelType;
	/** Webhooks: the body's shape. */
	format?: WebhookFormat;
	/** Webhooks: the URL with everything after the host masked. */
	url?: string;
	/** Email: the recipients. */
	to?: string[];
	createdAt: string;
	createdBy: string | null;
	updatedAt: string;
	updatedBy: string | null;
};

type ChannelRow = {
	id: string;
	name: string;
	type: ChannelType;
	format: WebhookFormat | null;
	url: string | null;
	urlShown: string | null;
	to: string[] | null;
	createdAt: Date;
	createdBy: string | null;
	updatedAt: Date;
	updatedBy: string | null;
};

const COLUMNS = `id, name, type, format, url, url_shown as "urlShown", "to", created_at as "createdAt", created_by as "createdBy",
	updated_at as "updatedAt", updated_by as "updatedBy"`;

export const newChannelId = () => `ch_${randomBytes(9).toString('base64url')}`;

/** A webhook URL as it may be shown: scheme and host, the rest masked. */
export function maskWebhookUrl(url: string): string {
	const u = new URL(url);
	return `${u.protocol}//${u.host}/${MASK}`;
}

export function toChannelView(r: ChannelRow): ChannelView {
	return {
		id: r.id,
		name: r.name,
		type: r.type,
		...(r.type === 'webhook' ? { format: r.format ?? 'json', url: r.urlShown ?? '' } : { to: r.to ?? [] }),
		createdAt: r.createdAt.toISOString(),
		createdBy: r.createdBy,
		updatedAt: r.updatedAt.toISOString(),
		updatedBy: r.updatedBy
	};
}

/** Throws a 400 naming `field.N` for the first id that is not a channel. */
export async function assertChannelsExist(sql: Sql | TransactionSql, ids: string[], field: string): Promise<void> {
	if (!ids.length) return;
	const rows = await sql<{ id: string }[]>`select id from notification_channel where id = any(${ids})`;
	const known = new Set(rows.map((r) => r.id));
	const i = ids.findIndex((id) => !known.has(id));
	if (i >= 0) throw fieldError(`${field}.${i}`, `unknown channel "${ids[i]}"`);
}

/** A submitted webhook URL, validated and checked against the egress policy; the field is `url`. */
function checkedWebhookUrl(egress: EgressPolicy, raw: string): string {
	const parsed = webhookUrl.safeParse(raw);
	if (!parsed.success) throw invalid(parsed.error, 'url');
	const refused = egress.deniedLiteral(new URL(parsed.data));
	if (refused) throw fieldError('url', `blocked by HTTP_JOB_DENY (${refused})`);
	return parsed.data;
}

export async function listChannels(sql: Sql): Promise<ChannelView[]> {
	const rows = await sql.unsafe<ChannelRow[]>(`select ${COLUMNS} from notification_channel order by name, id`);
	return rows.map(toChannelView);
}

async function findRow(sql: Sql | TransactionSql, id: string): Promise<ChannelRow> {
	const [row] = await sql.unsafe<ChannelRow[]>(`select ${COLUMNS} from notification_channel where id = $1`, [id]);
	if (!row) throw notFound(`channel "${id}"`);
	return row;
}

export async function getChannel(sql: Sql, id: string): Promise<ChannelView> {
	return toChannelView(await findRow(sql, id));
}

export async function createChannel(deps: ChannelDeps, input: unknown, actor: Actor): Promise<ChannelView> {
	const parsed = createChannelSchema.safeParse(input);
	if (!parsed.success) throw invalid(parsed.error);
	const c = parsed.data;
	const id = newChannelId();
	const url = c.type === 'webhook' ? checkedWebhookUrl(deps.egress, c.url) : null;
	const row = await deps.sql.begin(async (tx) => {
		const [inserted] = await tx.unsafe<ChannelRow[]>(
			`insert into notification_channel (id, name, type, format, url, url_shown, "to", created_by, updated_by)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning ${COLUMNS}`,
			[
				id,
				c.name,
				c.type,
				c.type === 'webhook' ? c.format : null,
				url ? deps.secrets.seal(url) : null,
				url ? maskWebhookUrl(url) : null,
				c.type === 'email' ? c.to : null,
				actor.name
			] as never
		);
		const view = toChannelView(inserted!);
		await audit(tx, { actor: actor.name, action: 'channel.create', entity: 'notification_channel', entityId: id, after: view });
		return view;
	});
	return row;
}

export async function updateChannel(deps: ChannelDeps, id: string, input: unknown, actor: Actor): Promise<ChannelView> {
	const current = await findRow(deps.sql, id);
	const before = toChannelView(current);
	let name = current.name;
	let format = current.format;
	let url = current.url;
	let urlShown = current.urlShown;
	let to = current.to;
	if (current.type === 'webhook') {
		const parsed = updateWebhookSchema.safeParse(input);
		if (!parsed.success) throw invalid(parsed.error);
		const p = parsed.data;
		name = p.name ?? name;
		format = p.format ?? format;
		if (p.url !== undefined && p.url !== current.urlShown) {
			if (p.url.includes(MASK)) throw fieldError('url', `${MASK} stands for the stored URL: send it back unchanged (${current.urlShown}) or enter a new URL`);
			const plain = checkedWebhookUrl(deps.egress, p.url);
			url = deps.secrets.seal(plain);
			urlShown = maskWebhookUrl(plain);
		}
	} else {
		const parsed = updateEmailSchema.safeParse(input);
		if (!parsed.success) throw invalid(parsed.error);
		name = parsed.data.name ?? name;
		to = parsed.data.to ?? to;
	}
	return deps.sql.begin(async (tx) => {
		const [row] = await tx.unsafe<ChannelRow[]>(
			`update notification_channel set name = $2, format = $3, url = $4, url_shown = $5, "to" = $6, updated_at = now(), updated_by = $7
			where id = $1 returning ${COLUMNS}`,
			[id, name, format, url, urlShown, to, actor.name] as never
		);
		if (!row) throw notFound(`channel "${id}"`);
		const view = toChannelView(row);
		await audit(tx, { actor: actor.name, action: 'channel.update', entity: 'notification_channel', entityId: id, before, after: view });
		return view;
	});
}

/**
 * Deletes a channel, its notifications with it, and takes it out of every list that named it
 * (jobs' alert rules, monitors, `alerts.defaultChannels`), all in one transaction.
 */
export async function deleteChannel(sql: Sql, id: string, actor: Actor): Promise<void> {
	await sql.begin(async (tx) => {
		const row = await findRow(tx, id);
		const jobs = await tx<{ key: string }[]>`
			update cron_job set alerts = jsonb_set(alerts, '{channels}', (alerts -> 'channels') - ${id}::text), updated_at = now(), updated_by = ${actor.name}
			where alerts -> 'channels' ? ${id} returning key`;
		const monitors = await tx<{ key: string }[]>`
			update monitor set channels = channels - ${id}::text, updated_at = now(), updated_by = ${actor.name}
			where channels ? ${id} returning key`;
		const defaults = await tx`
			update cron_job_config set value = value - ${id}::text, updated_at = now(), updated_by = ${actor.name}
			where key = 'alerts.defaultChannels' and value ? ${id} returning key`;
		await tx`delete from notification_channel where id = ${id}`;
		await audit(tx, {
			actor: actor.name,
			action: 'channel.delete',
			entity: 'notification_channel',
			entityId: id,
			before: toChannelView(row),
			after: { removedFrom: { jobs: jobs.map((j) => j.key), monitors: monitors.map((m) => m.key), defaultChannels: defaults.length > 0 } }
		});
		for (const j of jobs) await notify(tx, { t: 'job', key: j.key });
		if (defaults.length) await notify(tx, { t: 'settings' });
	});
}

/** What a delivery needs of a channel: its URL decrypted (never leaves the process). */
export type ChannelTarget = { id: string; name: string; type: ChannelType; format: WebhookFormat; url: string | null; to: string[] };

export function channelTarget(secrets: SecretBox, r: Pick<ChannelRow, 'id' | 'name' | 'type' | 'format' | 'url' | 'to'>): ChannelTarget {
	return { id: r.id, name: r.name, type: r.type, format: r.format ?? 'json', url: r.url ? secrets.open(r.url) : null, to: r.to ?? [] };
}
