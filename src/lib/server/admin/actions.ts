/**
 * Form actions shared by the cron pages. Routes call `requireAdmin` themselves (the guard must
 * be visible in the route file) and pass the admin here with the cron service; every change
 * goes through the CronJobService, which validates and audits.
 */
import { fail, redirect } from '@sveltejs/kit';
import { actorOf } from '../audit/actor';
import type { CronJobService } from '../cron/service';
import { formObject, serviceFailure } from '../forms';
import { createInput, jobFormFailure, readJobForm, updateInput } from './job-form';

type Admin = NonNullable<App.Locals['user']>;

/** `key` from the route, or from the posted form (the list's rows). */
async function keyOf(request: Request, routeKey: string | undefined): Promise<string> {
	return routeKey ?? (await formObject(request)).key ?? '';
}

export async function runNow(cron: CronJobService, request: Request, admin: Admin, routeKey?: string) {
	const key = await keyOf(request, routeKey);
	try {
		const execution = await cron.trigger(key, 'manual', actorOf(admin));
		return { action: 'runNow' as const, key, executionId: execution.id, message: `Run #${execution.id} of ${key} queued.` };
	} catch (err) {
		return serviceFailure(err, { action: 'runNow', data: { key } });
	}
}

export async function setEnabled(cron: CronJobService, request: Request, admin: Admin, enabled: boolean, routeKey?: string) {
	const key = await keyOf(request, routeKey);
	const action = enabled ? ('enable' as const) : ('disable' as const);
	try {
		await cron.setEnabled(key, enabled, actorOf(admin));
		return { action, key, message: `${key} ${enabled ? 'enabled' : 'disabled'}.` };
	} catch (err) {
		return serviceFailure(err, { action, data: { key } });
	}
}

export async function resetToCode(cron: CronJobService, admin: Admin, key: string) {
	try {
		await cron.resetToCodeDefault(key, actorOf(admin));
		return { action: 'reset' as const, key, message: `${key} reset to its code defaults.` };
	} catch (err) {
		return serviceFailure(err, { action: 'reset', data: { key } });
	}
}

/** Create (the new-job page): the job's page next, or the form again with its errors. */
export async function createJob(cron: CronJobService, request: Request, admin: Admin) {
	const values = readJobForm(await request.formData());
	let key: string;
	try {
		key = (await cron.createJob(createInput(values), actorOf(admin))).key;
	} catch (err) {
		return jobFormFailure(err, values);
	}
	redirect(303, `/admin/cron/${encodeURIComponent(key)}?created=1`);
}

/** Edit: the same form as create; errors come back next to their fields, values kept. */
export async function saveJob(cron: CronJobService, request: Request, admin: Admin, key: string) {
	const values = readJobForm(await request.formData());
	try {
		const job = await cron.getJob(key);
		await cron.updateJob(key, updateInput(values, job), actorOf(admin));
		return { action: 'save' as const, key, message: 'Saved.' };
	} catch (err) {
		return jobFormFailure(err, values);
	}
}

/** Delete needs its confirm box ticked (a confirm step that works without JavaScript). */
export async function deleteJob(cron: CronJobService, request: Request, admin: Admin, key: string) {
	const data = await request.formData();
	if (data.get('confirm') !== 'yes') {
		return fail(400, { action: 'delete' as const, message: 'Tick the box to confirm the deletion.', confirmMissing: true });
	}
	try {
		await cron.deleteJob(key, actorOf(admin));
	} catch (err) {
		return serviceFailure(err, { action: 'delete', data: { key } });
	}
	redirect(303, `/admin/cron?deleted=${encodeURIComponent(key)}`);
}

export async function cancelExecution(cron: CronJobService, admin: Admin, id: number) {
	try {
		const execution = await cron.cancelExecution(id, actorOf(admin));
		return { action: 'cancel' as const, message: `Run #${id} is ${execution.status}.` };
	} catch (err) {
		return serviceFailure(err, { action: 'cancel' });
	}
}

/** Where each setting's error shows on /admin/cron/settings. */
const SETTING_FIELDS: Record<string, string> = {
	'executions.retentionDays': 'retentionDays',
	'scheduler.defaultTimezone': 'defaultTimezone',
	'scheduler.paused': 'paused'
};

/** /admin/cron/settings: errors beside their fields, values kept. */
export async function saveSettings(cron: CronJobService, request: Request, admin: Admin) {
	const data = await request.formData();
	const retention = String(data.get('retentionDays') ?? '').trim();
	const values = { paused: data.has('paused'), retentionDays: retention, defaultTimezone: String(data.get('defaultTimezone') ?? '') };
	try {
		await cron.updateSettings(
			{
				'scheduler.paused': values.paused,
				'executions.retentionDays': retention === '' ? Number.NaN : Number(retention),
				'scheduler.defaultTimezone': values.defaultTimezone
			},
			actorOf(admin)
		);
		return { message: 'Settings saved.' };
	} catch (err) {
		return serviceFailure(err, { field: (path) => SETTING_FIELDS[path] ?? 'form', data: { values } });
	}
}
