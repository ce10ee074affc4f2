/**
 * Form actions shared by the cron pages. Routes call `requireAdmin` themselves (the guard must
 * be visible in the route file) and pass the admin here; every change goes through the
 * CronJobService, which validates and audits.
 */
import { fail, redirect } from '@sveltejs/kit';
import type { Actor } from '../cron/service';
import { ServiceError } from '../errors';
import { runtime } from '../runtime';
import { jobFormFailure, readJobForm, updateInput } from './job-form';

export type Admin = { id: string; email: string };

export const actorOf = (user: Admin): Actor => ({ name: user.email, userId: user.id });

type ActionName = 'runNow' | 'enable' | 'disable' | 'reset' | 'delete' | 'cancel' | 'settings';

/** A refusal of the service as a form failure (status kept: 404, 409 …). */
export function actionFailure(action: ActionName, err: unknown, extra: Record<string, string | number> = {}) {
	if (!(err instanceof ServiceError)) throw err;
	return fail(err.status, { action, message: err.message, ...extra });
}

async function formKey(request: Request): Promise<string> {
	const v = (await request.formData()).get('key');
	return typeof v === 'string' ? v : '';
}

/** `key` from the route, or from the posted form (the list's rows). */
export async function runNow(request: Request, user: Admin, routeKey?: string) {
	const key = routeKey ?? (await formKey(request));
	try {
		const run = await runtime().cron.trigger(key, 'manual', actorOf(user));
		return { action: 'runNow' as const, key, runId: run.id, message: `Run #${run.id} of ${key} queued.` };
	} catch (err) {
		return actionFailure('runNow', err, { key });
	}
}

export async function setEnabled(request: Request, user: Admin, enabled: boolean, routeKey?: string) {
	const key = routeKey ?? (await formKey(request));
	try {
		await runtime().cron.setEnabled(key, enabled, actorOf(user));
		return { action: enabled ? ('enable' as const) : ('disable' as const), key, message: `${key} ${enabled ? 'enabled' : 'disabled'}.` };
	} catch (err) {
		return actionFailure(enabled ? 'enable' : 'disable', err, { key });
	}
}

export async function resetToCode(user: Admin, key: string) {
	try {
		await runtime().cron.resetToCodeDefault(key, actorOf(user));
		return { action: 'reset' as const, key, message: `${key} reset to its code defaults.` };
	} catch (err) {
		return actionFailure('reset', err, { key });
	}
}

/** Edit: the same form as create; errors come back next to their fields, values kept. */
export async function saveJob(request: Request, user: Admin, key: string) {
	const values = readJobForm(await request.formData());
	const cron = runtime().cron;
	try {
		const job = await cron.getJob(key);
		await cron.updateJob(key, updateInput(values, job), actorOf(user));
		return { action: 'save' as const, key, message: 'Saved.' };
	} catch (err) {
		return jobFormFailure(err, values);
	}
}

/** Delete needs its confirm box ticked (a confirm step that works without JavaScript). */
export async function deleteJob(request: Request, user: Admin, key: string) {
	const data = await request.formData();
	if (data.get('confirm') !== 'yes') {
		return fail(400, { action: 'delete' as const, message: 'Tick the box to confirm the deletion.', confirmMissing: true });
	}
	try {
		await runtime().cron.deleteJob(key, actorOf(user));
	} catch (err) {
		return actionFailure('delete', err, { key });
	}
	redirect(303, `/admin/cron?deleted=${encodeURIComponent(key)}`);
}

export async function cancelRun(user: Admin, id: number) {
	try {
		const run = await runtime().cron.cancelExecution(id, actorOf(user));
		return { action: 'cancel' as const, message: `Run #${id} is ${run.status}.` };
	} catch (err) {
		return actionFailure('cancel', err);
	}
}
