/**
 * /admin/monitors and /admin/monitors/[key]: monitors with their status, creation (the ping URL
 * is shown right after, once), edits, **Regenerate**, deletion, and each monitor's history of
 * pings and status changes. Everyone signed in reads; the routes call `requireAdmin` before
 * each action, which only do the work here. A success answers 303 with its message, and a new
 * ping URL, in the sealed flash (lib/server/flash.ts): a reload neither repeats the action nor
 * shows the URL again.
 */
import { error, fail, type RequestEvent } from '@sveltejs/kit';
import { beforeQuerySchema, durationText, parseDuration } from '../../schemas/alerts';
import { listChannels } from '../alerts/channels';
import { monitorDeps } from '../alerts/deps';
import { actorOf } from '../audit/actor';
import { ServiceError } from '../errors';
import { flashRedirect, type FlashEvent } from '../flash';
import type { Services } from '../runtime';
import { createMonitor, deleteMonitor, getMonitor, listFlips, listMonitors, listPings, regeneratePingUrl, updateMonitor, type MonitorView } from './monitors';

type User = NonNullable<App.Locals['user']>;
type Event = Pick<RequestEvent, 'request'> & FlashEvent;

const monitorPath = (key: string) => `/admin/monitors/${encodeURIComponent(key)}`;

/** The form's names of the API's fields (errors are shown next to the form's fields). */
const FORM_FIELD: Record<string, string> = { periodSeconds: 'period', graceSeconds: 'grace' };

/** The form of a monitor: what it shows for `m` (or an empty one). */
export function monitorFormValues(m?: MonitorView): Record<string, string> {
	return {
		key: m?.key ?? '',
		name: m?.name ?? '',
		mode: m?.schedule ? 'schedule' : 'period',
		period: m?.periodSeconds ? durationText(m.periodSeconds * 1000) : '1h',
		schedule: m?.schedule ?? '',
		timezone: m?.timezone ?? '',
		grace: durationText((m?.graceSeconds ?? 300) * 1000) || '0s',
		channelsMode: m?.channels ? 'custom' : 'default',
		channels: (m?.channels ?? []).join(',')
	};
}

type Parsed = { input: Record<string, unknown>; errors: Record<string, string>; values: Record<string, string> };

/** The posted form as API input; durations and the channel choice read here. */
async function readMonitorForm(request: Request): Promise<Parsed> {
	const form = await request.formData();
	const text = (k: string) => {
		const v = form.get(k);
		return typeof v === 'string' ? v : '';
	};
	const values = Object.fromEntries(['key', 'name', 'mode', 'period', 'schedule', 'timezone', 'grace', 'channelsMode'].map((k) => [k, text(k)]));
	const channels = form.getAll('channel').filter((v): v is string => typeof v === 'string');
	values.channels = channels.join(',');
	const errors: Record<string, string> = {};
	const seconds = (field: 'period' | 'grace') => {
		const d = parseDuration(values[field]!);
		if ('error' in d) errors[field] = d.error;
		else if (d.ms === null) errors[field] = 'is required';
		else return Math.round(d.ms / 1000);
		return undefined;
	};
	const schedule = values.mode === 'schedule';
	const input: Record<string, unknown> = {
		key: values.key,
		name: values.name,
		...(schedule ? { schedule: values.schedule, periodSeconds: null, timezone: values.timezone || null } : { periodSeconds: seconds('period'), schedule: null }),
		graceSeconds: seconds('grace'),
		channels: values.channelsMode === 'custom' ? channels : null
	};
	return { input, errors, values };
}

function failure(action: string, err: unknown, values: Record<string, string> = {}) {
	if (!(err instanceof ServiceError)) throw err;
	const errors: Record<string, string> = {};
	for (const issue of err.issues) {
		const field = issue.path.split('.')[0]!;
		errors[FORM_FIELD[field] ?? field] ??= issue.message;
	}
	const [field, message] = Object.entries(errors)[0] ?? [];
	return fail(err.status, { action, message: field ? `${field}: ${message}` : err.message, errors, values });
}

async function channelChoices({ sql, cron }: Pick<Services, 'sql' | 'cron'>) {
	const [channels, settings] = await Promise.all([listChannels(sql), cron.settings()]);
	return { channels: channels.map((c) => ({ id: c.id, name: c.name })), defaultChannels: settings['alerts.defaultChannels'], defaultZone: settings['scheduler.defaultTimezone'] };
}

export async function monitorsLoad(services: Pick<Services, 'sql' | 'cron' | 'config'>, user: User) {
	const [monitors, choices] = await Promise.all([listMonitors(services.sql), channelChoices(services)]);
	const counts = { new: 0, up: 0, late: 0, down: 0 };
	for (const m of monitors) counts[m.status]++;
	return { canEdit: user.role === 'admin', monitors, counts, formValues: monitorFormValues(), origin: services.config.origin, ...choices };
}

export async function monitorLoad(services: Pick<Services, 'sql' | 'cron' | 'config'>, user: User, key: string, url: URL) {
	const { sql } = services;
	const { before } = beforeQuerySchema.parse(Object.fromEntries(url.searchParams));
	let monitor: MonitorView;
	try {
		monitor = await getMonitor(sql, key);
	} catch (err) {
		if (err instanceof ServiceError && err.status === 404) error(404, { message: `No monitor "${key}"`, code: 'not_found' });
		throw err;
	}
	const [pings, flips, choices] = await Promise.all([listPings(sql, key, before), listFlips(sql, key), channelChoices(services)]);
	return { canEdit: user.role === 'admin', monitor, pings: pings.pings, nextBefore: pings.nextBefore, before: before ?? null, flips, formValues: monitorFormValues(monitor), origin: services.config.origin, ...choices };
}

export const monitorsActions = {
	async create(event: Event, user: User) {
		const { input, errors, values } = await readMonitorForm(event.request);
		if (Object.keys(errors).length) {
			const [field, message] = Object.entries(errors)[0]!;
			return fail(400, { action: 'create', message: `${field}: ${message}`, errors, values });
		}
		let created: Awaited<ReturnType<typeof createMonitor>>;
		try {
			created = await createMonitor(monitorDeps(event.locals.services), input, actorOf(user));
		} catch (err) {
			return failure('create', err, values);
		}
		const { monitor, pingUrl } = created;
		flashRedirect(event, { tone: 'success', message: `Monitor "${monitor.name}" created.`, pingUrl, link: { href: monitorPath(monitor.key), label: 'Open the monitor' } });
	},

	async update(event: Event, user: User, key: string) {
		const { input, errors, values } = await readMonitorForm(event.request);
		if (Object.keys(errors).length) {
			const [field, message] = Object.entries(errors)[0]!;
			return fail(400, { action: 'update', message: `${field}: ${message}`, errors, values });
		}
		const { key: _key, ...patch } = input;
		try {
			await updateMonitor(monitorDeps(event.locals.services), key, patch, actorOf(user));
		} catch (err) {
			return failure('update', err, values);
		}
		flashRedirect(event, { tone: 'success', message: 'Saved.' });
	},

	/** **Regenerate**: a new ping URL, shown this once; the old one stops working. */
	async regenerate(event: FlashEvent, user: User, key: string) {
		let pingUrl: string;
		try {
			({ pingUrl } = await regeneratePingUrl(monitorDeps(event.locals.services), key, actorOf(user)));
		} catch (err) {
			return failure('regenerate', err);
		}
		flashRedirect(event, { tone: 'success', message: 'New ping URL: the old one no longer works.', pingUrl });
	},

	async delete(event: Event, user: User, key: string) {
		const form = await event.request.formData();
		if (form.get('confirm') !== 'yes') return fail(400, { action: 'delete', message: 'Tick the box to confirm the deletion.', confirmMissing: true });
		try {
			await deleteMonitor(event.locals.services.sql, key, actorOf(user));
		} catch (err) {
			return failure('delete', err);
		}
		flashRedirect(event, { tone: 'success', message: `Monitor ${key} deleted.` }, '/admin/monitors');
	}
};
