/**
 * /admin/alerts: notification channels (create, edit, delete, **Send test**), the default
 * channels, and recent notifications with their delivery. Everyone signed in reads; the route
 * calls `requireAdmin` before each action, which only do the work here. A success answers 303
 * back to the page with its message (lib/server/flash.ts); a refusal keeps the form's values.
 */
import type { RequestEvent } from '@sveltejs/kit';
import { beforeQuerySchema } from '../../schemas/alerts';
import type { Flash } from '../../flash';
import { actorOf } from '../audit/actor';
import { flashRedirect, type FlashEvent } from '../flash';
import { serviceFailure } from '../forms';
import type { Services } from '../runtime';
import { createChannel, deleteChannel, listChannels, updateChannel } from './channels';
import { channelDeps } from './deps';
import { listNotifications, undeliveredCounts } from './notifications';

type User = NonNullable<App.Locals['user']>;
type Event = Pick<RequestEvent, 'request'> & FlashEvent;

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
		let name: string;
		try {
			name = (await createChannel(channelDeps(event.locals.services), input, actorOf(user))).name;
		} catch (err) {
			return failure('create', err, { values });
		}
		flashRedirect(event, { tone: 'success', message: `Channel "${name}" created.` });
	},

	async update(event: Event, user: User) {
		const { values } = await formValues(event.request);
		const id = values.id ?? '';
		const input = values.to !== undefined ? { name: values.name, to: recipients(values.to) } : { name: values.name, url: values.url, format: values.format || undefined };
		let name: string;
		try {
			name = (await updateChannel(channelDeps(event.locals.services), id, input, actorOf(user))).name;
		} catch (err) {
			return failure('update', err, { channelId: id, values });
		}
		flashRedirect(event, { tone: 'success', message: `Channel "${name}" saved.` });
	},

	async delete(event: Event, user: User) {
		const { values } = await formValues(event.request);
		try {
			await deleteChannel(event.locals.services.sql, values.id ?? '', actorOf(user));
		} catch (err) {
			return failure('delete', err);
		}
		flashRedirect(event, { tone: 'success', message: 'Channel deleted (and taken out of the jobs and monitors that named it).' });
	},

	/** **Send test**: one attempt now; the message says whether it arrived, and why not. */
	async test(event: Event) {
		const { values } = await formValues(event.request);
		let flash: Flash;
		try {
			const n = await event.locals.services.alerts.sendTest(values.id ?? '');
			// Redirected either way: the request was fine (a reload must not send again), the receiver may not be.
			flash =
				n.status === 'delivered'
					? { tone: 'success', message: `Test sent to "${n.channel.name}": delivered.` }
					: { tone: 'warning', message: `Test to "${n.channel.name}" failed: ${n.lastError ?? n.status}` };
		} catch (err) {
			return failure('test', err);
		}
		flashRedirect(event, flash);
	},

	/** The channels of jobs and monitors that name none. */
	async defaults(event: Event, user: User) {
		const { all } = await formValues(event.request);
		const ids = all.getAll('channel').filter((v): v is string => typeof v === 'string');
		try {
			await event.locals.services.cron.updateSettings({ 'alerts.defaultChannels': ids }, actorOf(user));
		} catch (err) {
			return failure('defaults', err);
		}
		flashRedirect(event, { tone: ids.length ? 'success' : 'info', message: ids.length ? `Default channels saved (${ids.length}).` : 'No default channels: jobs and monitors that name none are not alerted.' });
	}
};
