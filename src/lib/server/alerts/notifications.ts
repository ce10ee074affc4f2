/** Notifications as the API and /admin/alerts show them: what was sent where, and how it went. */
import type { Sql } from 'postgres';
import type { AlertEvent, NotificationStatus } from '../../names';

export type NotificationView = {
	id: number;
	event: AlertEvent;
	status: NotificationStatus;
	channel: { id: string; name: string; type: string };
	jobKey: string | null;
	monitorKey: string | null;
	executionId: number | null;
	text: string;
	attempts: number;
	lastAttemptAt: string | null;
	lastError: string | null;
	/** Pending: the next attempt; sending: when its claim runs out. */
	nextAttemptAt: string | null;
	deliveredAt: string | null;
	/** Held by the rate limit: the notification that reported it. */
	heldBy: number | null;
	createdAt: string;
};

type Row = Omit<NotificationView, 'channel' | 'lastAttemptAt' | 'nextAttemptAt' | 'deliveredAt' | 'createdAt' | 'text'> & {
	channelId: string;
	channelName: string;
	channelType: string;
	text: string | null;
	lastAttemptAt: Date | null;
	nextAttemptAt: Date;
	deliveredAt: Date | null;
	createdAt: Date;
};

const COLUMNS = `n.id, n.event, n.status, n.channel_id as "channelId", c.name as "channelName", c.type as "channelType",
	n.job_key as "jobKey", n.monitor_key as "monitorKey", n.execution_id as "executionId", n.payload ->> 'text' as text, n.attempts,
	n.last_attempt_at as "lastAttemptAt", n.last_error as "lastError", n.next_attempt_at as "nextAttemptAt",
	n.delivered_at as "deliveredAt", n.held_by as "heldBy", n.created_at as "createdAt"`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toView(r: Row): NotificationView {
	return {
		id: Number(r.id),
		event: r.event,
		status: r.status,
		channel: { id: r.channelId, name: r.channelName, type: r.channelType },
		jobKey: r.jobKey,
		monitorKey: r.monitorKey,
		executionId: r.executionId === null ? null : Number(r.executionId),
		text: r.text ?? '',
		attempts: r.attempts,
		lastAttemptAt: iso(r.lastAttemptAt),
		lastError: r.lastError,
		nextAttemptAt: r.status === 'pending' || r.status === 'sending' ? r.nextAttemptAt.toISOString() : null,
		deliveredAt: iso(r.deliveredAt),
		heldBy: r.heldBy === null ? null : Number(r.heldBy),
		createdAt: r.createdAt.toISOString()
	};
}

export async function getNotification(sql: Sql, id: number): Promise<NotificationView> {
	const [row] = await sql.unsafe<Row[]>(`select ${COLUMNS} from notification n join notification_channel c on c.id = n.channel_id where n.id = $1`, [id] as never);
	if (!row) throw new Error(`notification ${id} vanished`);
	return toView(row);
}

export const NOTIFICATIONS_PAGE = 50;

/** Newest first, keyset-paginated by id. */
export async function listNotifications(sql: Sql, before?: number): Promise<{ notifications: NotificationView[]; nextBefore: number | null }> {
	const rows = await sql.unsafe<Row[]>(
		`select ${COLUMNS} from notification n join notification_channel c on c.id = n.channel_id
		${before ? 'where n.id < $2' : ''} order by n.id desc limit $1`,
		(before ? [NOTIFICATIONS_PAGE + 1, before] : [NOTIFICATIONS_PAGE + 1]) as never
	);
	const page = rows.slice(0, NOTIFICATIONS_PAGE).map(toView);
	return { notifications: page, nextBefore: rows.length > NOTIFICATIONS_PAGE ? page[page.length - 1]!.id : null };
}

/**
 * Notifications whose delivery failed at least once and that are waiting for another attempt,
 * and those given up in the last 24 hours (what the admin shell and /admin/alerts flag).
 */
export async function undeliveredCounts(sql: Sql): Promise<{ undelivered: number; failedRecently: number }> {
	const [row] = await sql<{ undelivered: number; failedRecently: number }[]>`
		select (select count(*)::int from notification where status in ('pending', 'sending') and last_error is not null) as undelivered,
			(select count(*)::int from notification where status = 'failed' and last_attempt_at > now() - interval '24 hours') as "failedRecently"`;
	return row!;
}
