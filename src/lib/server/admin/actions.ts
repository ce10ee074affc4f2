/**
 * Form actions shared by the cron pages. Routes call `requireAdmin` themselves (the guard must
 * be visible in the route file) and pass the admin here with the request's event; every change
 * goes through the CronJobService, which validates and audits. A success answers 303 back to
 * its page with its message (lib/server/flash.ts); a refusal keeps the page, with the errors
 * beside their fields.
 */
import { fail, type RequestEvent } from '@sveltejs/kit';
import { actorOf } from '../audit/actor';
import { flashRedirect } from '../flash';
import { formObject, serviceFailure } from '../forms';
import { createInput, jobFormFailure, readJobForm, updateInput } from './job-form';

type Admin = NonNullable<App.Locals['user']>;
export type ActionEvent = Pick<RequestEvent, 'request' | 'locals' | 'cookies' | 'url'>;

const jobPath = (key: string) => `/admin/cron/${encodeURIComponent(key)}`;

/** `key` from the route, or from the posted form (the list's rows). */
async function keyOf(request: Request, routeKey: string | undefined): Promise<string> {
	return routeKey ?? (await formObject(request)).key ?? '';
}

export async function runNow(event: ActionEvent, admin: Admin, routeKey?: string) {
	const key = await keyOf(event.request, routeKey);
	let id: number;
	try {
		id = (await event.locals.services.cron.trigger(key, 'manual', actorOf(admin))).id;
	} catch (err) {
		return serviceFailure(err, { action: 'runNow', data: { key } });
	}
	flashRedirect(event, { tone: 'success', message: `Run #${id} of ${key} queued.`, run: { id, jobKey: key } });
}

export async function setEnabled(event: ActionEvent, admin: Admin, enabled: boolean, routeKey?: string) {
	const key = await keyOf(event.request, routeKey);
	const action = enabled ? ('enable' as const) : ('disable' as const);
	try {
		await event.locals.services.cron.setEnabled(key, enabled, actorOf(admin));
	} catch (err) {
		return serviceFailure(err, { action, data: { key } });
	}
	flashRedirect(event, { tone: 'success', message: `${key} ${enabled ? 'enabled' : 'disabled'}.` });
}

const BULK_OPS = ['runNow', 'enable', 'disable'] as const;

/**
 * The list's bulk action: the checked rows' `keys` and the button pressed (`op`). One form,
 * so it works without JavaScript.
 */
export async function bulk(event: ActionEvent, admin: Admin) {
	const data = await event.request.formData();
	const keys = data.getAll('keys').filter((k): k is string => typeof k === 'string');
	const op = String(data.get('op') ?? '');
	if (!(BULK_OPS as readonly string[]).includes(op)) return fail(400, { action: 'bulk' as const, message: `op: must be one of ${BULK_OPS.join(', ')}`, errors: {} });
	if (!keys.length) return fail(400, { action: 'bulk' as const, message: 'Select at least one job first.', errors: {} });
	const { cron } = event.locals.services;
	const actor = actorOf(admin);
	let message: string;
	try {
		if (op === 'runNow') {
			const runs = await cron.triggerMany(keys, actor);
			message = `${runs.length} ${runs.length === 1 ? 'run' : 'runs'} queued: ${runs.map((r) => `#${r.id} of ${r.jobKey}`).join(', ')}.`;
		} else {
			const enabled = op === 'enable';
			const changed = await cron.setEnabledMany(keys, enabled, actor);
			const verb = enabled ? 'enabled' : 'disabled';
			const unchanged = keys.length - changed.length;
			message = `${changed.length} ${changed.length === 1 ? 'job' : 'jobs'} ${verb}${unchanged > 0 ? ` (${unchanged} already ${verb})` : ''}.`;
		}
	} catch (err) {
		return serviceFailure(err, { action: 'bulk' });
	}
	flashRedirect(event, { tone: 'success', message });
}

export async function resetToCode(event: ActionEvent, admin: Admin, key: string) {
	try {
		await event.locals.services.cron.resetToCodeDefault(key, actorOf(admin));
	} catch (err) {
		return serviceFailure(err, { action: 'reset', data: { key } });
	}
	flashRedirect(event, { tone: 'success', message: `${key} reset to its code defaults.` });
}

/** Create (the new-job page): the job's page next, or the form again with its errors. */
export async function createJob(event: ActionEvent, admin: Admin) {
	const values = readJobForm(await event.request.formData());
	let key: string;
	try {
		key = (await event.locals.services.cron.createJob(createInput(values), actorOf(admin))).key;
	} catch (err) {
		return jobFormFailure(err, values);
	}
	flashRedirect(event, { tone: 'success', message: `Job ${key} created.` }, jobPath(key));
}

/** Edit: the same form as create; errors come back next to their fields, values kept. */
export async function saveJob(event: ActionEvent, admin: Admin, key: string) {
	const values = readJobForm(await event.request.formData());
	const { cron } = event.locals.services;
	try {
		const job = await cron.getJob(key);
		await cron.updateJob(key, updateInput(values, job), actorOf(admin));
	} catch (err) {
		return jobFormFailure(err, values);
	}
	flashRedirect(event, { tone: 'success', message: 'Saved.' });
}

/** Delete needs its confirm box ticked (a confirm step that works without JavaScript). */
export async function deleteJob(event: ActionEvent, admin: Admin, key: string) {
	const data = await event.request.formData();
	if (data.get('confirm') !== 'yes') {
		return fail(400, { action: 'delete' as const, message: 'Tick the box to confirm the deletion.', confirmMissing: true });
	}
	try {
		await event.locals.services.cron.deleteJob(key, actorOf(admin));
	} catch (err) {
		return serviceFailure(err, { action: 'delete', data: { key } });
	}
	flashRedirect(event, { tone: 'success', message: `Deleted ${key}.` }, '/admin/cron');
}

export async function cancelExecution(event: ActionEvent, admin: Admin, id: number) {
	let status: string;
	try {
		status = (await event.locals.services.cron.cancelExecution(id, actorOf(admin))).status;
	} catch (err) {
		return serviceFailure(err, { action: 'cancel' });
	}
	flashRedirect(event, { tone: 'success', message: `Run #${id} is ${status}.` });
}

/** Retry (a failed run's page): a new manual run, whose banner follows it live. */
export async function retryExecution(event: ActionEvent, admin: Admin, id: number) {
	let retry: { id: number; jobKey: string };
	try {
		retry = await event.locals.services.cron.retryExecution(id, actorOf(admin));
	} catch (err) {
		return serviceFailure(err, { action: 'retry' });
	}
	flashRedirect(event, { tone: 'success', message: `Run #${retry.id} of ${retry.jobKey} queued (a retry of #${id}).`, run: { id: retry.id, jobKey: retry.jobKey } });
}

/** Where each setting's error shows on /admin/cron/settings. */
const SETTING_FIELDS: Record<string, string> = {
	'executions.retentionDays': 'retentionDays',
	'scheduler.defaultTimezone': 'defaultTimezone',
	'scheduler.paused': 'paused'
};

/** /admin/cron/settings: errors beside their fields, values kept. */
export async function saveSettings(event: ActionEvent, admin: Admin) {
	const data = await event.request.formData();
	const retention = String(data.get('retentionDays') ?? '').trim();
	const values = { paused: data.has('paused'), retentionDays: retention, defaultTimezone: String(data.get('defaultTimezone') ?? '') };
	try {
		await event.locals.services.cron.updateSettings(
			{
				'scheduler.paused': values.paused,
				'executions.retentionDays': retention === '' ? Number.NaN : Number(retention),
				'scheduler.defaultTimezone': values.defaultTimezone
			},
			actorOf(admin)
		);
	} catch (err) {
		return serviceFailure(err, { field: (path) => SETTING_FIELDS[path] ?? 'form', data: { values } });
	}
	flashRedirect(event, { tone: 'success', message: 'Settings saved.' });
}
