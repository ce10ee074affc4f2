/**
 * /admin/alerts: notification channels (create, edit, delete, **Send test**), the default
 * channels, and recent notifications with their delivery. Everyone signed in reads; the route
 * calls `requireAdmin` before each action, which only do the work here.
 */
import type { RequestEvent } from '@sveltejs/kit';
import { beforeQuerySchema } from '../../schemas/alerts';
import { actorOf } from '../audit/actor';
import { serviceFailure } from '../forms';
import type { Services } from '../runtime';
import { createChannel, deleteChannel, listChannels, updateChannel } from './channels';
import { channelDeps } from './deps';
import { listNotifications, undeliveredCounts } from './notifications';

type User = NonNullable<App.Locals['user']>;
type Event = Pick<RequestEvent, 'request' | 'locals'>;

export async function alertsLoad({ sql, cron }: Pick<Services, 'sql' | 'cron'>, user: User, url: URL) {
	const { before } = beforeQuerySchema.parse(Object.fromEntries(url.searchParams));
	const [channels, page, counts, settings] = await Promise.all([listChannels(sql), listNotifications(sql, before), undeliveredCounts(sql), cron.settings()]);
	return {
		canEdit: user.role === 'admin',
		channels,
		defaultChannels: settings['alerts.defaultChannels'],
		notifications: page.notifications,
		nextBefore: page.nextBefore,
		before: before ?? null,
		counts
	};
}

/** The form's fields as text (files and repeated names: the first text value). */
async function formValues(request: Request): Promise<{ values: Record<string, string>; all: FormData }> {
	const all = await request.formData();
	const values: Record<string, string> = {};
	for (const [k, v] of all) if (typeof v === 'string' && !(k in values)) values[k] = v;
	return { values, all };
}

type ActionName = 'create' | 'update' | 'delete' | 'test' | 'defaults';

/** A refusal as a form failure: the message names the field; values kept for the form. */
const failure = <D extends Record<string, unknown>>(action: ActionName, err: unknown, data?: D) =>
	serviceFailure(err, { action, field: (path) => path.split('.')[0]!, data });

/** Recipients typed one per line or separated by commas. */
const recipients = (text: string | undefined) =>
	(text ?? '')
		.split(/[\n,;]/)
		.map((s) => s.trim())
		.filter(Boolean);

export const alertsActions = {
	async create(event: Event, user: User) {
		const { values } = await formValues(event.request);
		const input =
			values.type === 'email'
				? { type: 'email', name: values.name, to: recipients(values.to) }
				: { type: values.type, name: values.name, url: values.url, format: values.format || undefined };
		try {
			const channel = await createChannel(channelDeps(event.locals.services), input, actorOf(user));
			return { action: 'create' as const, message: `Channel "${channel.name}" created.`, channelId: channel.id };
		} catch (err) {
			return failure('create', err, { values });
		}
	},

	async update(event: Event, user: User) {
		const { values } = await formValues(event.request);
		const id = values.id ?? '';
		const input = values.to !== undefined ? { name: values.name, to: recipients(values.to) } : { name: values.name, url: values.url, format: values.format || undefined };
		try {
			const channel = await updateChannel(channelDeps(event.locals.services), id, input, actorOf(user));
			return { action: 'update' as const, message: `Channel "${channel.name}" saved.`, channelId: id };
		} catch (err) {
			return failure('update', err, { channelId: id, values });
		}
	},

	async delete(event: Event, user: User) {
		const { values } = await formValues(event.request);
		try {
			await deleteChannel(event.locals.services.sql, values.id ?? '', actorOf(user));
			return { action: 'delete' as const, message: 'Channel deleted (and taken out of the jobs and monitors that named it).' };
		} catch (err) {
			return failure('delete', err);
		}
	},

	/** **Send test**: one attempt now; the answer says whether it arrived, and why not. */
	async test(event: Event) {
		const { values } = await formValues(event.request);
		try {
			const n = await event.locals.services.alerts.sendTest(values.id ?? '');
			const ok = n.status === 'delivered';
			// Answered as a result either way: the request was fine, the receiver may not be.
			return { action: 'test' as const, channelId: n.channel.id, delivered: ok, message: ok ? `Test sent to "${n.channel.name}": delivered.` : `Test to "${n.channel.name}" failed: ${n.lastError ?? n.status}` };
		} catch (err) {
			return failure('test', err);
		}
	},

	/** The channels of jobs and monitors that name none. */
	async defaults(event: Event, user: User) {
		const { all } = await formValues(event.request);
		const ids = all.getAll('channel').filter((v): v is string => typeof v === 'string');
		try {
			await event.locals.services.cron.updateSettings({ 'alerts.defaultChannels': ids }, actorOf(user));
			return { action: 'defaults' as const, message: ids.length ? `Default channels saved (${ids.length}).` : 'No default channels: jobs and monitors that name none are not alerted.' };
		} catch (err) {
			return failure('defaults', err);
		}
	}
};
