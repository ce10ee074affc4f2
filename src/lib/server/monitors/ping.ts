/**
 * A ping (`GET|POST /ping/{token}[/start|/fail|/{exitCode}]`): one statement finds the monitor
 * by the token's hash, records the ping with its body (the first 10 KB), moves the monitor's
 * status and deadline, records a status change (a flip, which the evaluator alerts on), and
 * tells every instance the new deadline (signal.ts). For a monitor on a schedule the next
 * expected instant needs croner, so a second statement sets it; until then the deadline is the
 * grace from now, never none (a monitor cannot be left without a deadline).
 *
 * - success (`/ping/{token}`, exit code 0): up; due again after the period (or at the next
 *   instant of the schedule), down after the grace on top;
 * - `/start`: the job began: an up monitor goes down if no success follows within the grace;
 * - `/fail` (or a non-zero exit code): down at once.
 */
import type { Sql } from 'postgres';
import type { MonitorStoredStatus, PingKind } from '../../names';
import { firstLine } from '../alerts/messages';
import { monitorSignalSql, notifyMonitor } from '../alerts/signal';
import { expectationAfter, hashPingToken } from './monitors';

/** Bytes of a ping's body that are kept (the rest is counted, not stored). */
export const PING_BODY_MAX = 10 * 1024;

export type PingInput = {
	token: string;
	kind: PingKind;
	exitCode: number | null;
	/** The body's first PING_BODY_MAX bytes (or fewer). */
	body: Uint8Array | null;
	/** The body's whole size. */
	bodyBytes: number;
	remoteAddr: string | null;
	userAgent: string | null;
};

/** What a ping did: null for an unknown token. */
export type PingResult = { key: string; from: MonitorStoredStatus; to: MonitorStoredStatus } | null;

/** Text that PostgreSQL can store: UTF-8 (invalid bytes replaced), without NUL. */
function bodyText(body: Uint8Array | null): string | null {
	if (!body?.length) return null;
	return Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, PING_BODY_MAX)).toString('utf8').replaceAll('\u0000', '');
}

function reasonOf(p: PingInput, body: string | null): string {
	const code = p.exitCode === null ? '' : ` (exit code ${p.exitCode})`;
	if (p.kind === 'fail') {
		const line = firstLine(body);
		return `the job reported a failure${code}${line ? `: ${line}` : ''}`;
	}
	return p.exitCode === null ? 'a success ping arrived' : `the job reported success${code}`;
}

/**
 * The statement: $1 token hash, $2 kind, $3 exit code, $4 body, $5 body size, $6 address,
 * $7 user agent, $8 the status change's reason.
 */
export const PING_SQL = `with m as (
	select key, status as prev from monitor where token_hash = $1 for no key update
), upd as (
	update monitor t set
		last_ping_at = now(),
		last_ping_kind = $2,
		last_start_at = case when $2 = 'start' then now() else t.last_start_at end,
		status = case $2 when 'success' then 'up' when 'fail' then 'down' else t.status end,
		status_changed_at = case when t.status <> (case $2 when 'success' then 'up' when 'fail' then 'down' else t.status end)
			then now() else t.status_changed_at end,
		expected_at = case $2 when 'success' then now() + make_interval(secs => coalesce(t.period_seconds, 0)) else t.expected_at end,
		down_at = case $2
			when 'success' then now() + make_interval(secs => coalesce(t.period_seconds, 0) + t.grace_seconds)
			when 'start' then case when t.status = 'up' then least(t.down_at, now() + make_interval(secs => t.grace_seconds)) else t.down_at end
			else t.down_at end
	from m where t.key = m.key
	returning t.key, m.prev, t.status, t.down_at, t.schedule, now()::text as "pingAt"
), ping as (
	insert into monitor_ping (monitor_key, kind, exit_code, body, body_bytes, remote_addr, user_agent)
	select key, $2, $3, $4, $5, $6, $7 from m
), flip as (
	insert into monitor_flip (monitor_key, from_status, to_status, reason, alerted)
	select key, prev, status, $8, prev = 'new' and status = 'up' from upd where prev <> status
	returning id
), note as (
	select ${monitorSignalSql('upd', 'upd.prev <> upd.status')} from upd
)
select key, prev, status, schedule, "pingAt", (select count(*) from flip) as flips from upd where (select count(*) from note) >= 0`;

export async function recordPing(sql: Sql, p: PingInput): Promise<PingResult> {
	const body = bodyText(p.body);
	const [row] = await sql.unsafe<{ key: string; prev: MonitorStoredStatus; status: MonitorStoredStatus; schedule: string | null; pingAt: string }[]>(PING_SQL, [
		hashPingToken(p.token),
		p.kind,
		p.exitCode,
		body,
		p.bodyBytes,
		p.remoteAddr,
		p.userAgent?.slice(0, 300) ?? null,
		reasonOf(p, body)
	] as never);
	if (!row) return null;
	if (row.schedule !== null && p.kind === 'success') await followSchedule(sql, row.key, row.pingAt);
	return { key: row.key, from: row.prev, to: row.status };
}

/** A schedule monitor's next expected instant after the success ping at `pingAt` (unless a newer ping came). */
async function followSchedule(sql: Sql, key: string, pingAt: string): Promise<void> {
	await sql.begin(async (tx) => {
		const [m] = await tx<{ periodSeconds: number | null; schedule: string | null; timezone: string | null; graceSeconds: number; at: Date }[]>`
			select period_seconds as "periodSeconds", schedule, timezone, grace_seconds as "graceSeconds", last_ping_at as at
			from monitor where key = ${key} and last_ping_at = ${pingAt}::text::timestamptz and status = 'up' for no key update`;
		if (!m) return;
		const next = expectationAfter(m, m.at);
		const [row] = await tx<{ downAt: Date | null }[]>`
			update monitor set expected_at = ${next.expectedAt}, down_at = ${next.downAt} where key = ${key} returning down_at as "downAt"`;
		await notifyMonitor(tx, { key, status: 'up', downAt: row!.downAt });
	});
}
