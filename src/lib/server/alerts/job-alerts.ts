/**
 * The Alerts card of a job's page (/admin/cron/[key]): the channels to choose from, and the
 * form action that saves the job's alert rules and `autoDisableAfter` through the cron service
 * (validated, audited, drift from code defaults shown like the other settings). A success answers
 * 303 back to the page with its message (lib/server/flash.ts); a refusal's result is under
 * `alerts`, apart from the page's other forms.
 */
import { fail, type RequestEvent } from '@sveltejs/kit';
import { parseDuration } from '../../schemas/alerts';
import type { Sql } from 'postgres';
import { actorOf } from '../audit/actor';
import type { CronJobService } from '../cron/service';
import { ServiceError } from '../errors';
import { flashRedirect, type FlashEvent } from '../flash';
import { listChannels } from './channels';

type Admin = NonNullable<App.Locals['user']>;

/** Channels for the card's choice, and the default ones. */
export async function jobAlertChoices({ sql, cron }: { sql: Sql; cron: CronJobService }) {
	const [channels, settings] = await Promise.all([listChannels(sql), cron.settings()]);
	return { channels: channels.map((c) => ({ id: c.id, name: c.name })), defaultChannels: settings['alerts.defaultChannels'] };
}

/** The form's names of the API's fields. */
const FORM_FIELD: Record<string, string> = {
	'alerts.channels': 'channels',
	'alerts.onFailure': 'onFailure',
	'alerts.maxDurationMs': 'maxDuration',
	'alerts.noSuccessWithinMs': 'noSuccessWithin',
	autoDisableAfter: 'autoDisableAfter'
};

const formField = (path: string) => FORM_FIELD[path.replace(/\.\d+$/, '')] ?? path.split('.').at(-1)!;

/** The form's labels, for the message above it. */
const LABELS: Record<string, string> = {
	channels: 'Channels',
	onFailure: 'Alert on failure',
	maxDuration: 'Slow after',
	noSuccessWithin: 'No success within',
	autoDisableAfter: 'Auto-disable after'
};
const labelled = (field: string, message: string) => `${LABELS[field] ?? field}: ${message}`;

export async function saveJobAlerts(event: Pick<RequestEvent, 'request'> & FlashEvent, admin: Admin, key: string) {
	const form = await event.request.formData();
	const text = (k: string) => {
		const v = form.get(k);
		return typeof v === 'string' ? v : '';
	};
	const values: Record<string, string> = Object.fromEntries(['channelsMode', 'onFailure', 'maxDuration', 'noSuccessWithin', 'autoDisableAfter'].map((k) => [k, text(k)]));
	const channels = form.getAll('channel').filter((v): v is string => typeof v === 'string');
	values.channels = channels.join(',');
	values.onRecovery = text('onRecovery') === 'on' ? 'on' : '';
	values.onMissed = text('onMissed') === 'on' ? 'on' : '';
	const errors: Record<string, string> = {};
	const duration = (field: string) => {
		const d = parseDuration(values[field]!);
		if ('error' in d) errors[field] = d.error;
		else return d.ms;
		return null;
	};
	const maxDurationMs = duration('maxDuration');
	const noSuccessWithinMs = duration('noSuccessWithin');
	const n = values.autoDisableAfter!.trim();
	const autoDisable = n === '' ? null : /^\d+$/.test(n) ? Number(n) : NaN;
	if (Number.isNaN(autoDisable)) errors.autoDisableAfter = 'must be a whole number (blank: never)';
	if (Object.keys(errors).length) {
		const [field, message] = Object.entries(errors)[0]!;
		return fail(400, { alerts: { message: labelled(field, message), errors, values } });
	}
	try {
		await event.locals.services.cron.updateJob(
			key,
			{
				alerts: {
					channels: values.channelsMode === 'custom' ? channels : null,
					onFailure: values.onFailure || undefined,
					onRecovery: values.onRecovery === 'on',
					onMissed: values.onMissed === 'on',
					maxDurationMs,
					noSuccessWithinMs
				},
				autoDisableAfter: autoDisable
			},
			actorOf(admin)
		);
	} catch (err) {
		if (!(err instanceof ServiceError)) throw err;
		const fieldErrors: Record<string, string> = {};
		for (const issue of err.issues) fieldErrors[formField(issue.path)] ??= issue.message;
		const [field, message] = Object.entries(fieldErrors)[0] ?? [];
		return fail(err.status, { alerts: { message: field ? labelled(field, message!) : err.message, errors: fieldErrors, values } });
	}
	flashRedirect(event, { tone: 'success', message: 'Alerts saved.' });
}
