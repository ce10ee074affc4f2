/**
 * Push monitors (README.md#push-monitors): work that runs elsewhere (a crontab on another box, a
 * CI job) pings a secret URL; a monitor that is not pinged in time goes down and alerts. The
 * ping token is shown once, when the monitor is created or its URL regenerated; only its
 * SHA-256 is stored.
 *
 * Expectation: every `periodSeconds`, or at each instant of `schedule` in `timezone`; after the
 * expected instant the monitor is `late`, after `graceSeconds` more it is `down` (watch.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import type { z } from 'zod';
import type { MonitorStatus, MonitorStoredStatus, PingKind } from '../../names';
import { createMonitorSchema, updateMonitorSchema } from '../../schemas/alerts';
import { assertChannelsExist } from '../alerts/channels';
import { audit } from '../audit';
import { compileSchedule, describe, nextRun, ScheduleError } from '../cron/schedule';
import type { Actor } from '../audit/actor';
import { fieldError, invalid, notFound, ServiceError } from '../errors';
import { notifyMonitor } from '../alerts/signal';

export type MonitorDeps = {
	sql: Sql;
	/** ORIGIN: ping URLs are absolute. */
	origin: string;
	/** The zone of schedules given without one (the settings' default zone). */
	defaultTimezone: () => Promise<string>;
};

export type MonitorView = {
	key: string;
	name: string;
	periodSeconds: number | null;
	schedule: string | null;
	timezone: string | null;
	/** "every 1 min", or the schedule in words. */
	expectation: string;
	graceSeconds: number;
	/** Absent: the setting `alerts.defaultChannels`. */
	channels?: string[];
	/** `late` when up and the expected ping is overdue (down once the grace has passed too). */
	status: MonitorStatus;
	statusChangedAt: string | null;
	lastPingAt: string | null;
	lastPingKind: PingKind | null;
	/** A start ping not yet followed by success or failure: the job is running. */
	runningSince: string | null;
	expectedAt: string | null;
	downAt: string | null;
	createdAt: string;
	createdBy: string | null;
	updatedAt: string;
	updatedBy: string | null;
};

type Row = {
	key: string;
	name: string;
	periodSeconds: number | null;
	schedule: string | null;
	timezone: string | null;
	graceSeconds: number;
	channels: string[] | null;
	status: MonitorStoredStatus;
	late: boolean;
	statusChangedAt: Date | null;
	lastPingAt: Date | null;
	lastPingKind: PingKind | null;
	lastStartAt: Date | null;
	expectedAt: Date | null;
	downAt: Date | null;
	createdAt: Date;
	createdBy: string | null;
	updatedAt: Date;
	updatedBy: string | null;
};

const COLUMNS = `key, name, period_seconds as "periodSeconds", schedule, timezone, grace_seconds as "graceSeconds", channels, status,
	(status = 'up' and expected_at < now()) as late, status_changed_at as "statusChangedAt", last_ping_at as "lastPingAt",
	last_ping_kind as "lastPingKind", last_start_at as "lastStartAt", expected_at as "expectedAt", down_at as "downAt",
	created_at as "createdAt", created_by as "createdBy", updated_at as "updatedAt", updated_by as "updatedBy"`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** "every 90 s", "every 5 min", "every 2 h", "every 1 d 6 h". */
export function describePeriod(seconds: number): string {
	if (seconds % 86_400 === 0) return `every ${seconds / 86_400} d`;
	if (seconds > 86_400) return `every ${Math.floor(seconds / 86_400)} d ${Math.round((seconds % 86_400) / 3600)} h`;
	if (seconds % 3600 === 0) return `every ${seconds / 3600} h`;
	if (seconds % 60 === 0) return `every ${seconds / 60} min`;
	return `every ${seconds} s`;
}

function toView(r: Row): MonitorView {
	return {
		key: r.key,
		name: r.name,
		periodSeconds: r.periodSeconds,
		schedule: r.schedule,
		timezone: r.timezone,
		expectation: r.periodSeconds !== null ? describePeriod(r.periodSeconds) : `${scheduleWords(r.schedule!, r.timezone!)} (${r.timezone})`,
		graceSeconds: r.graceSeconds,
		...(r.channels ? { channels: r.channels } : {}),
		status: r.late ? 'late' : r.status,
		statusChangedAt: iso(r.statusChangedAt),
		lastPingAt: iso(r.lastPingAt),
		lastPingKind: r.lastPingKind,
		runningSince: r.lastPingKind === 'start' ? iso(r.lastStartAt) : null,
		expectedAt: iso(r.expectedAt),
		downAt: iso(r.downAt),
		createdAt: r.createdAt.toISOString(),
		createdBy: r.createdBy,
		updatedAt: r.updatedAt.toISOString(),
		updatedBy: r.updatedBy
	};
}

function scheduleWords(schedule: string, zone: string): string {
	try {
		return describe(compileSchedule(schedule, zone).pattern);
	} catch {
		return schedule;
	}
}

/** A token for the ping URL: 24 random bytes (192 bits), URL-safe. */
export const newPingToken = () => randomBytes(24).toString('base64url');
export const hashPingToken = (token: string) => createHash('sha256').update(token, 'utf8').digest();
export const pingUrlOf = (origin: string, token: string) => `${origin}/ping/${token}`;

/** The schedule of a monitor, compiled; its faults are 400s naming `schedule` or `timezone`. */
function compiled(schedule: string, zone: string) {
	try {
		return compileSchedule(schedule, zone);
	} catch (err) {
		if (err instanceof ScheduleError) throw fieldError(err.field === 'timezone' ? 'timezone' : 'schedule', err.message);
		throw err;
	}
}

/**
 * When a success ping at `at` makes the next one due, and when the monitor goes down without
 * it: `at` + period, or the schedule's next instant after `at`; plus the grace.
 */
export function expectationAfter(m: { periodSeconds: number | null; schedule: string | null; timezone: string | null; graceSeconds: number }, at: Date): { expectedAt: Date | null; downAt: Date | null } {
	const expected =
		m.periodSeconds !== null ? new Date(at.getTime() + m.periodSeconds * 1000) : m.schedule ? nextRun(compileSchedule(m.schedule, m.timezone ?? 'UTC'), at) : null;
	return { expectedAt: expected, downAt: expected ? new Date(expected.getTime() + m.graceSeconds * 1000) : null };
}

type Timing = { periodSeconds: number | null; schedule: string | null; timezone: string | null };

/** Period or schedule (exactly one), the zone checked; the fields named in every refusal. */
async function timingOf(deps: MonitorDeps, p: { periodSeconds?: number | null; schedule?: string | null; timezone?: string | null }, current?: Timing): Promise<Timing> {
	const period = p.periodSeconds !== undefined ? p.periodSeconds : p.schedule ? null : (current?.periodSeconds ?? null);
	const schedule = p.schedule !== undefined ? p.schedule : p.periodSeconds ? null : (current?.schedule ?? null);
	if (period !== null && schedule !== null) throw fieldError('periodSeconds', 'give either periodSeconds or schedule, not both');
	if (period === null && schedule === null) throw fieldError('periodSeconds', 'is required (or give a schedule)');
	if (period !== null) {
		if (p.timezone) throw fieldError('timezone', 'applies to a schedule only');
		return { periodSeconds: period, schedule: null, timezone: null };
	}
	const zone = p.timezone ?? current?.timezone ?? (await deps.defaultTimezone());
	compiled(schedule!, zone);
	return { periodSeconds: null, schedule: schedule!, timezone: zone };
}

export async function listMonitors(sql: Sql): Promise<MonitorView[]> {
	const rows = await sql.unsafe<Row[]>(`select ${COLUMNS} from monitor order by key`);
	return rows.map(toView);
}

async function findRow(sql: Sql | TransactionSql, key: string): Promise<Row> {
	const [row] = await sql.unsafe<Row[]>(`select ${COLUMNS} from monitor where key = $1`, [key]);
	if (!row) throw notFound(`monitor "${key}"`);
	return row;
}

export async function getMonitor(sql: Sql, key: string): Promise<MonitorView> {
	return toView(await findRow(sql, key));
}

export type CreatedMonitor = { monitor: MonitorView; pingUrl: string };

export async function createMonitor(deps: MonitorDeps, input: unknown, actor: Actor): Promise<CreatedMonitor> {
	const parsed = createMonitorSchema.safeParse(input);
	if (!parsed.success) throw invalid(parsed.error);
	const m = parsed.data;
	const timing = await timingOf(deps, m);
	if (m.channels) await assertChannelsExist(deps.sql, m.channels, 'channels');
	const token = newPingToken();
	const view = await deps.sql.begin(async (tx) => {
		const [row] = await tx.unsafe<Row[]>(
			`insert into monitor (key, name, token_hash, period_seconds, schedule, timezone, grace_seconds, channels, created_by, updated_by)
			values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $9)
			on conflict (key) do nothing
			returning ${COLUMNS}`,
			[m.key, m.name, hashPingToken(token), timing.periodSeconds, timing.schedule, timing.timezone, m.graceSeconds, m.channels ?? null, actor.name] as never
		);
		if (!row) throw new ServiceError(409, 'conflict', `a monitor with key "${m.key}" already exists`, [{ path: 'key', message: 'already exists' }]);
		const v = toView(row);
		await audit(tx, { actor: actor.name, action: 'monitor.create', entity: 'monitor', entityId: m.key, after: v });
		await notifyMonitor(tx, { key: m.key, status: 'new', downAt: null });
		return v;
	});
	return { monitor: view, pingUrl: pingUrlOf(deps.origin, token) };
}

export async function updateMonitor(deps: MonitorDeps, key: string, input: unknown, actor: Actor): Promise<MonitorView> {
	const parsed = updateMonitorSchema.safeParse(input);
	if (!parsed.success) throw invalid(parsed.error);
	const p: z.infer<typeof updateMonitorSchema> = parsed.data;
	const current = await findRow(deps.sql, key);
	const timing = p.periodSeconds !== undefined || p.schedule !== undefined || p.timezone !== undefined ? await timingOf(deps, p, current) : current;
	if (p.channels) await assertChannelsExist(deps.sql, p.channels, 'channels');
	const after = {
		name: p.name ?? current.name,
		...timing,
		graceSeconds: p.graceSeconds ?? current.graceSeconds,
		channels: p.channels === undefined ? current.channels : p.channels
	};
	// An up monitor's deadline follows the new expectation from its last success ping.
	const next = current.status === 'up' && current.lastPingAt ? expectationAfter(after, current.lastPingAt) : { expectedAt: current.expectedAt, downAt: current.downAt };
	return deps.sql.begin(async (tx) => {
		const [row] = await tx.unsafe<Row[]>(
			`update monitor set name = $2, period_seconds = $3, schedule = $4, timezone = $5, grace_seconds = $6::int, channels = $7::jsonb,
				expected_at = $8::timestamptz, down_at = case when status = 'up' and last_ping_kind = 'start'
					then least($9::timestamptz, last_start_at + make_interval(secs => $6::int)) else $9::timestamptz end,
				updated_at = now(), updated_by = $10
			where key = $1 returning ${COLUMNS}`,
			[
				key,
				after.name,
				after.periodSeconds,
				after.schedule,
				after.timezone,
				after.graceSeconds,
				after.channels ?? null,
				next.expectedAt?.toISOString() ?? null,
				next.downAt?.toISOString() ?? null,
				actor.name
			] as never
		);
		if (!row) throw notFound(`monitor "${key}"`);
		const v = toView(row);
		await audit(tx, { actor: actor.name, action: 'monitor.update', entity: 'monitor', entityId: key, before: toView(current), after: v });
		await notifyMonitor(tx, { key, status: row.status, downAt: row.downAt });
		return v;
	});
}

/** A new ping URL; the old one stops working at once. */
export async function regeneratePingUrl(deps: MonitorDeps, key: string, actor: Actor): Promise<CreatedMonitor> {
	const token = newPingToken();
	const view = await deps.sql.begin(async (tx) => {
		const [row] = await tx.unsafe<Row[]>(`update monitor set token_hash = $2, updated_at = now(), updated_by = $3 where key = $1 returning ${COLUMNS}`, [
			key,
			hashPingToken(token),
			actor.name
		] as never);
		if (!row) throw notFound(`monitor "${key}"`);
		await audit(tx, { actor: actor.name, action: 'monitor.regenerate_url', entity: 'monitor', entityId: key });
		return toView(row);
	});
	return { monitor: view, pingUrl: pingUrlOf(deps.origin, token) };
}

export async function deleteMonitor(sql: Sql, key: string, actor: Actor): Promise<void> {
	await sql.begin(async (tx) => {
		const row = await findRow(tx, key);
		await tx`delete from monitor where key = ${key}`;
		await audit(tx, { actor: actor.name, action: 'monitor.delete', entity: 'monitor', entityId: key, before: toView(row) });
		await notifyMonitor(tx, { key, status: null, downAt: null });
	});
}

export type PingView = {
	id: number;
	at: string;
	kind: PingKind;
	exitCode: number | null;
	body: string | null;
	bodyBytes: number;
	remoteAddr: string | null;
	userAgent: string | null;
};

export type FlipView = { id: number; at: string; from: MonitorStoredStatus; to: MonitorStoredStatus; reason: string };

export const HISTORY_PAGE = 50;

/** A monitor's pings, newest first, keyset-paginated by id. */
export async function listPings(sql: Sql, key: string, before?: number): Promise<{ pings: PingView[]; nextBefore: number | null }> {
	const rows = await sql<(Omit<PingView, 'at'> & { at: Date })[]>`
		select id, at, kind, exit_code as "exitCode", body, body_bytes as "bodyBytes", remote_addr as "remoteAddr", user_agent as "userAgent"
		from monitor_ping where monitor_key = ${key} ${before ? sql`and id < ${before}` : sql``}
		order by id desc nulls last limit ${HISTORY_PAGE + 1}`;
	const page = rows.slice(0, HISTORY_PAGE).map((r) => ({ ...r, id: Number(r.id), at: r.at.toISOString() }));
	return { pings: page, nextBefore: rows.length > HISTORY_PAGE ? page[page.length - 1]!.id : null };
}

/** A monitor's latest status changes, newest first. */
export async function listFlips(sql: Sql, key: string, limit = HISTORY_PAGE): Promise<FlipView[]> {
	const rows = await sql<{ id: number; at: Date; from: MonitorStoredStatus; to: MonitorStoredStatus; reason: string }[]>`
		select id, at, from_status as "from", to_status as "to", reason from monitor_flip
		where monitor_key = ${key} order by id desc nulls last limit ${limit}`;
	return rows.map((r) => ({ ...r, id: Number(r.id), at: r.at.toISOString() }));
}

/** Monitors that are down (the admin banner, the overview). */
export async function downMonitors(sql: Sql): Promise<{ key: string; name: string; since: string | null }[]> {
	const rows = await sql<{ key: string; name: string; since: Date | null }[]>`
		select key, name, status_changed_at as since from monitor where status = 'down' order by status_changed_at desc nulls last, key limit 20`;
	return rows.map((r) => ({ key: r.key, name: r.name, since: iso(r.since) }));
}
