/** Names of the alerts and monitors domain, shared by the database, the API, the UI and the code. */

/** What a notification is about (the webhook's `event`). */
export const ALERT_EVENTS = ['failed', 'recovered', 'missed', 'slow', 'no_success', 'auto_disabled', 'monitor_down', 'monitor_up', 'test'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export const CHANNEL_TYPES = ['webhook', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** A webhook's body: `json` (the whole event), `slack` (`{text}`), `discord` (`{content}`). */
export const WEBHOOK_FORMATS = ['json', 'slack', 'discord'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/**
 * A notification's delivery: `pending` (due at `next_attempt_at`), `sending` (claimed by an
 * instance), `delivered`, `failed` (given up), `held` (rate-limited: reported by a later summary
 * or recovery instead).
 */
export const NOTIFICATION_STATUSES = ['pending', 'sending', 'delivered', 'failed', 'held'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** When a job's failures alert: on the change from healthy to failing, on each one, or never. */
export const ON_FAILURE = ['first', 'every', 'never'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

/** Stored monitor statuses; `late` is derived (up, and its ping is overdue but within grace). */
export const MONITOR_STORED_STATUSES = ['new', 'up', 'down'] as const;
export type MonitorStoredStatus = (typeof MONITOR_STORED_STATUSES)[number];
export const MONITOR_STATUSES = ['new', 'up', 'late', 'down'] as const;
export type MonitorStatus = (typeof MONITOR_STATUSES)[number];

export const PING_KINDS = ['success', 'start', 'fail'] as const;
export type PingKind = (typeof PING_KINDS)[number];
