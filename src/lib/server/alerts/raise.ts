/**
 * Raising an event: one `notification` row per channel, in the caller's transaction, with the
 * rate limit applied. At most one notification per subject (a job, a monitor) and channel per
 * window (a minute): later ones are stored `held` and counted on the window, and when the window
 * ends a summary goes out ("and 41 more failures"). Urgent events (a recovery, a monitor up
 * again, an auto-disable, a test) are never held back; one that finds held alerts in its window
 * says so and takes their place, so no summary follows it.
 *
 * Callers serialise on the alert evaluator's lock (evaluator.ts), and windows are locked too.
 */
import type { TransactionSql } from 'postgres';
import type { AlertEvent } from '../../names';
import { summaryEvent, withHeld, type AlertPayload } from './messages';

export type RaisedEvent = {
	/** Names the event: raising it twice sends it once (unique with the channel). */
	dedupeKey: string;
	payload: AlertPayload;
	/** The rate limit's unit (`job:<key>`, `monitor:<key>`); null: never limited. */
	subject: string | null;
	channels: string[];
	jobKey?: string;
	monitorKey?: string;
	executionId?: number;
	/** Sent even within a window (and reports what the window held). */
	urgent: boolean;
};

type Held = Partial<Record<AlertEvent, number>>;
type Window = { subject: string; channelId: string; endsAt: Date; held: Held; lastPayload: AlertPayload | null; dirty: boolean };

type Row = {
	event: AlertEvent;
	dedupeKey: string;
	channelId: string;
	subject: string | null;
	jobKey: string | null;
	monitorKey: string | null;
	executionId: number | null;
	payload: AlertPayload;
	status: 'pending' | 'held';
	/** Held rows of this window that this row reports. */
	folds: boolean;
};

const windowKey = (subject: string, channelId: string) => `${subject}\u0000${channelId}`;
const hasHeld = (h: Held) => Object.values(h).some((n) => (n ?? 0) > 0);

/** Inserts rows (skipping events already raised); returns the ids of those inserted, in order. */
async function insertRows(tx: TransactionSql, rows: Row[]): Promise<({ id: number } & Row)[]> {
	if (!rows.length) return [];
	const inserted = await tx.unsafe<{ id: number; dedupeKey: string; channelId: string }[]>(
		`insert into notification (event, dedupe_key, channel_id, subject, job_key, monitor_key, execution_id, payload, status)
		select u.event, u.dedupe_key, u.channel_id, u.subject, u.job_key, u.monitor_key, u.execution_id, u.payload::jsonb, u.status
		from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[])
			as u(event, dedupe_key, channel_id, subject, job_key, monitor_key, execution_id, payload, status)
		on conflict (dedupe_key, channel_id) do nothing
		returning id, dedupe_key as "dedupeKey", channel_id as "channelId"`,
		[
			rows.map((r) => r.event),
			rows.map((r) => r.dedupeKey),
			rows.map((r) => r.channelId),
			rows.map((r) => r.subject),
			rows.map((r) => r.jobKey),
			rows.map((r) => r.monitorKey),
			rows.map((r) => r.executionId),
			rows.map((r) => JSON.stringify(r.payload)),
			rows.map((r) => r.status)
		] as never
	);
	const ids = new Map(inserted.map((i) => [`${i.dedupeKey}\u0000${i.channelId}`, Number(i.id)]));
	return rows.flatMap((r) => {
		const id = ids.get(`${r.dedupeKey}\u0000${r.channelId}`);
		return id === undefined ? [] : [{ ...r, id }];
	});
}

/** Marks a window's held rows as reported by `by`. */
async function foldHeld(tx: TransactionSql, folds: { subject: string; channelId: string; by: number }[]): Promise<void> {
	if (!folds.length) return;
	await tx.unsafe(
		`update notification n set held_by = f.by
		from unnest($1::text[], $2::text[], $3::bigint[]) as f(subject, channel_id, by)
		where n.subject = f.subject and n.channel_id = f.channel_id and n.status = 'held' and n.held_by is null and n.id < f.by`,
		[folds.map((f) => f.subject), folds.map((f) => f.channelId), folds.map((f) => f.by)] as never
	);
}

async function saveWindows(tx: TransactionSql, windows: Window[]): Promise<void> {
	const dirty = windows.filter((w) => w.dirty);
	if (!dirty.length) return;
	await tx.unsafe(
		`insert into notification_window (subject, channel_id, ends_at, held, last_payload)
		select u.subject, u.channel_id, u.ends_at, u.held::jsonb, u.last_payload::jsonb
		from unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[]) as u(subject, channel_id, ends_at, held, last_payload)
		on conflict (subject, channel_id) do update set ends_at = excluded.ends_at, held = excluded.held, last_payload = excluded.last_payload`,
		[
			dirty.map((w) => w.subject),
			dirty.map((w) => w.channelId),
			dirty.map((w) => w.endsAt.toISOString()),
			dirty.map((w) => JSON.stringify(w.held)),
			dirty.map((w) => (w.lastPayload ? JSON.stringify(w.lastPayload) : null))
		] as never
	);
}

async function lockWindows(tx: TransactionSql, pairs: { subject: string; channelId: string }[]): Promise<Map<string, Window>> {
	const rows = pairs.length
		? await tx.unsafe<{ subject: string; channelId: string; endsAt: Date; held: Held; lastPayload: AlertPayload | null }[]>(
				`select w.subject, w.channel_id as "channelId", w.ends_at as "endsAt", w.held, w.last_payload as "lastPayload"
				from notification_window w join unnest($1::text[], $2::text[]) as p(subject, channel_id)
					on w.subject = p.subject and w.channel_id = p.channel_id
				order by w.subject, w.channel_id
				for update of w`,
				[pairs.map((p) => p.subject), pairs.map((p) => p.channelId)] as never
			)
		: [];
	return new Map(rows.map((r) => [windowKey(r.subject, r.channelId), { ...r, dirty: false }]));
}

/**
 * Raises `events` at database time `now`. Returns how many notifications are due for
 * delivery (the caller wakes the senders).
 */
export async function raise(tx: TransactionSql, events: RaisedEvent[], now: Date, windowMs: number): Promise<number> {
	const pairs = events.flatMap((e) => [...new Set(e.channels)].map((channelId) => ({ e, channelId })));
	if (!pairs.length) return 0;
	const limited = pairs.filter((p) => p.e.subject !== null).map((p) => ({ subject: p.e.subject!, channelId: p.channelId }));
	const windows = await lockWindows(tx, limited);
	const rows: Row[] = [];
	for (const { e, channelId } of pairs) {
		const base = {
			event: e.payload.event,
			dedupeKey: e.dedupeKey,
			channelId,
			subject: e.subject,
			jobKey: e.jobKey ?? null,
			monitorKey: e.monitorKey ?? null,
			executionId: e.executionId ?? null
		};
		if (e.subject === null) {
			rows.push({ ...base, payload: e.payload, status: 'pending', folds: false });
			continue;
		}
		const key = windowKey(e.subject, channelId);
		const w = windows.get(key);
		if (e.urgent) {
			const folds = !!w && hasHeld(w.held);
			rows.push({ ...base, payload: folds ? withHeld(e.payload, w.held) : e.payload, status: 'pending', folds });
			if (folds) Object.assign(w, { held: {}, lastPayload: null, dirty: true });
		} else if (w && w.endsAt > now) {
			w.held[e.payload.event] = (w.held[e.payload.event] ?? 0) + 1;
			w.lastPayload = e.payload;
			w.dirty = true;
			rows.push({ ...base, payload: e.payload, status: 'held', folds: false });
		} else {
			windows.set(key, { subject: e.subject, channelId, endsAt: new Date(now.getTime() + windowMs), held: {}, lastPayload: null, dirty: true });
			rows.push({ ...base, payload: e.payload, status: 'pending', folds: false });
		}
	}
	const inserted = await insertRows(tx, rows);
	await foldHeld(
		tx,
		inserted.filter((r) => r.folds).map((r) => ({ subject: r.subject!, channelId: r.channelId, by: r.id }))
	);
	await saveWindows(tx, [...windows.values()]);
	return inserted.filter((r) => r.status === 'pending').length;
}

/**
 * Windows that ended with held notifications: each gets its summary (which opens the next
 * window: it is that window's one notification). Returns how many summaries are due.
 */
export async function summarizeEndedWindows(tx: TransactionSql, now: Date, windowMs: number): Promise<number> {
	const ended = await tx<{ subject: string; channelId: string; endsAt: Date; held: Held; lastPayload: AlertPayload | null }[]>`
		select subject, channel_id as "channelId", ends_at as "endsAt", held, last_payload as "lastPayload"
		from notification_window
		where held <> '{}'::jsonb and ends_at <= ${now}
		order by subject, channel_id
		limit 1000
		for update`;
	const rows: Row[] = [];
	const windows: Window[] = [];
	for (const w of ended) {
		windows.push({ ...w, endsAt: new Date(now.getTime() + windowMs), held: {}, lastPayload: null, dirty: true });
		if (!w.lastPayload || !hasHeld(w.held)) continue;
		const p = w.lastPayload;
		rows.push({
			event: p.event,
			dedupeKey: `summary:${w.subject}:${w.endsAt.getTime()}`,
			channelId: w.channelId,
			subject: w.subject,
			jobKey: p.job?.key ?? null,
			monitorKey: p.monitor?.key ?? null,
			executionId: p.execution?.id ?? null,
			payload: summaryEvent(p, w.held, new Date(w.endsAt.getTime() - windowMs), now),
			status: 'pending',
			folds: true
		});
	}
	const inserted = await insertRows(tx, rows);
	await foldHeld(
		tx,
		inserted.map((r) => ({ subject: r.subject!, channelId: r.channelId, by: r.id }))
	);
	await saveWindows(tx, windows);
	return inserted.length;
}

/** When the next window with held notifications ends (database time, ms), if any. */
export async function nextWindowEnd(tx: TransactionSql): Promise<number | null> {
	const [row] = await tx<{ at: Date | null }[]>`select min(ends_at) as at from notification_window where held <> '{}'::jsonb`;
	return row?.at ? row.at.getTime() : null;
}
