/**
 * Zod schemas of alerts and monitors: a job's alert rules, notification channels, monitors.
 * Shared by the API, the forms and the services (README.md#alerts-and-monitors).
 */
import { z } from 'zod';
import { ON_FAILURE, WEBHOOK_FORMATS } from '../names';

const DAY_MS = 24 * 3600_000;

/** A job's alert rules as stored and shown. `channels` absent: the setting `alerts.defaultChannels`. */
export type AlertRules = {
	channels?: string[];
	onFailure: (typeof ON_FAILURE)[number];
	onRecovery: boolean;
	onMissed: boolean;
	maxDurationMs?: number;
	noSuccessWithinMs?: number;
};

export const DEFAULT_ALERT_RULES: AlertRules = { onFailure: 'first', onRecovery: true, onMissed: false };

/** Channel ids are opaque (`ch_…`); a malformed one cannot name a channel. */
export const channelId = z
	.string({ error: 'must be a string' })
	.regex(/^ch_[A-Za-z0-9_-]{4,40}$/, 'is not a channel id (ch_…)');

export const channelList = z.array(channelId, { error: 'must be an array of channel ids' }).max(50, 'must list at most 50 channels');

const millis = (min: number, max: number, maxText: string) =>
	z
		.number({ error: 'must be a number of milliseconds' })
		.int('must be a whole number of milliseconds')
		.min(min, `must be at least ${min} (ms)`)
		.max(max, `must be at most ${maxText}`);

/**
 * `alerts` in a job's POST or PATCH: the rule set as a whole (like `params`); fields left out
 * take their defaults, `null` clears an optional one.
 */
export const alertRulesInput = z
	.strictObject({
		channels: channelList.nullable().optional(),
		onFailure: z.enum(ON_FAILURE, { error: `must be one of ${ON_FAILURE.join(', ')}` }).optional(),
		onRecovery: z.boolean({ error: 'must be true or false' }).optional(),
		onMissed: z.boolean({ error: 'must be true or false' }).optional(),
		maxDurationMs: millis(1000, DAY_MS, '24 h').nullable().optional(),
		noSuccessWithinMs: millis(1000, 366 * DAY_MS, '366 days').nullable().optional()
	}, { error: 'must be an object' })
	.transform((r): AlertRules => normalizeRules(r));

/** `autoDisableAfter`: that many consecutive failures disable the job; null: never. */
export const autoDisableAfter = z
	.number({ error: 'must be a number' })
	.int('must be a whole number')
	.min(1, 'must be at least 1')
	.max(1000, 'must be at most 1000')
	.nullable();

type RulesLike = {
	channels?: string[] | null;
	onFailure?: AlertRules['onFailure'];
	onRecovery?: boolean;
	onMissed?: boolean;
	maxDurationMs?: number | null;
	noSuccessWithinMs?: number | null;
};

/** The canonical form: defaults filled in, cleared fields left out, keys in one order. */
export function normalizeRules(r: RulesLike = {}): AlertRules {
	return {
		...(r.channels ? { channels: [...new Set(r.channels)] } : {}),
		onFailure: r.onFailure ?? DEFAULT_ALERT_RULES.onFailure,
		onRecovery: r.onRecovery ?? DEFAULT_ALERT_RULES.onRecovery,
		onMissed: r.onMissed ?? DEFAULT_ALERT_RULES.onMissed,
		...(r.maxDurationMs != null ? { maxDurationMs: r.maxDurationMs } : {}),
		...(r.noSuccessWithinMs != null ? { noSuccessWithinMs: r.noSuccessWithinMs } : {})
	};
}

// ---- channels ---------------------------------------------------------------------------------

const channelName = z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(100, 'must be at most 100 characters');

export const webhookUrl = z
	.string({ error: 'must be a string' })
	.max(2000, 'must be at most 2000 characters')
	.pipe(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }));

const recipients = z
	.array(
		z.email({ error: 'must be an email address' }).max(254, 'must be at most 254 characters'),
		{ error: 'must be an array of email addresses' }
	)
	.min(1, 'must name at least one address')
	.max(50, 'must name at most 50 addresses');

export const createChannelSchema = z.discriminatedUnion(
	'type',
	[
		z.strictObject({
			type: z.literal('webhook'),
			name: channelName,
			url: z.string({ error: 'must be a string' }),
			format: z.enum(WEBHOOK_FORMATS, { error: `must be one of ${WEBHOOK_FORMATS.join(', ')}` }).default('json')
		}),
		z.strictObject({ type: z.literal('email'), name: channelName, to: recipients })
	],
	{ error: 'must be webhook or email' }
);
export type CreateChannelInput = z.input<typeof createChannelSchema>;

/** PATCH: any of the fields of the channel's type (the type itself stays). */
export const updateWebhookSchema = z.strictObject({
	name: channelName.optional(),
	url: z.string({ error: 'must be a string' }).optional(),
	format: z.enum(WEBHOOK_FORMATS, { error: `must be one of ${WEBHOOK_FORMATS.join(', ')}` }).optional()
});
export const updateEmailSchema = z.strictObject({ name: channelName.optional(), to: recipients.optional() });

export const emailRecipients = recipients;

// ---- monitors -----------------------------------------------------------------------------------

const seconds = (min: number, max: number, maxText: string) =>
	z
		.number({ error: 'must be a number of seconds' })
		.int('must be a whole number of seconds')
		.min(min, `must be at least ${min} (seconds)`)
		.max(max, `must be at most ${maxText}`);

/** A monitor's key: a slug, like a job's (its page is /admin/monitors/{key}). */
export const monitorKey = z
	.string({ error: 'must be a string' })
	.min(2, 'must be at least 2 characters')
	.max(64, 'must be at most 64 characters')
	.regex(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/, 'must be a slug: lowercase letters, digits and dashes');

export const monitorFields = z.strictObject({
	key: monitorKey,
	name: z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(200, 'must be at most 200 characters'),
	/** Expected every this many seconds… */
	periodSeconds: seconds(1, 366 * 86_400, '366 days').nullable().optional(),
	/** …or at each instant of this schedule, in `timezone`. */
	schedule: z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(200, 'must be at most 200 characters').nullable().optional(),
	timezone: z.string({ error: 'must be a string' }).nullable().optional(),
	/** How long after the expected instant a missing ping turns the monitor down. */
	graceSeconds: seconds(0, 30 * 86_400, '30 days'),
	/** Absent or null: the setting `alerts.defaultChannels`; []: none. */
	channels: channelList.nullable().optional()
});

export const createMonitorSchema = monitorFields.extend({ graceSeconds: monitorFields.shape.graceSeconds.default(300) });
export type CreateMonitorInput = z.input<typeof createMonitorSchema>;
export const updateMonitorSchema = monitorFields.omit({ key: true }).partial();

/** The exit code of `/ping/{token}/{exitCode}`. */
export const exitCodeSchema = z
	.string()
	.regex(/^[0-9]{1,3}$/, 'must be an exit code (0-255), start or fail')
	.transform(Number)
	.refine((n) => n <= 255, 'must be an exit code (0-255), start or fail');

/** `?before=`: keyset pagination of notifications and pings (query string). */
export const beforeQuerySchema = z.object({
	before: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional()).catch(undefined)
});

// ---- durations in forms -------------------------------------------------------------------------

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3600_000, d: 86_400_000 };

/**
 * A duration typed in a form: `90` (seconds), `90s`, `5m`, `1.5h`, `2d`, `500ms` → milliseconds;
 * blank → null; anything else → the message to show.
 */
export function parseDuration(text: string): { ms: number | null } | { error: string } {
	const t = text.trim().toLowerCase();
	if (!t) return { ms: null };
	const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?$/.exec(t);
	if (!m) return { error: 'must be a duration like 90s, 5m, 2h or 1d' };
	const ms = Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!);
	return Number.isSafeInteger(ms) ? { ms } : { error: 'is too long' };
}

/** Milliseconds in the largest unit that divides them: "2d", "26h", "90m", "45s", "1500ms". */
export function durationText(ms: number | null | undefined): string {
	if (ms == null) return '';
	for (const [unit, size] of [['d', 86_400_000], ['h', 3600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
	return `${ms}ms`;
}
