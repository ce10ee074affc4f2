/** Global scheduler settings, stored in `cron_job_config` and editable at runtime. */
import type { Sql } from 'postgres';
import type { Queryable } from '../db';
import { z } from 'zod';
import { audit } from '../audit';
import { isValidTimeZone } from '../config';
import { notify } from './notify';

export const settingsSchema = z.object({
	'scheduler.paused': z.boolean(),
	'executions.retentionDays': z.number().int().min(1).max(3650),
	'scheduler.defaultTimezone': z.string().refine(isValidTimeZone, 'is not a known IANA time zone')
});

export type Settings = z.infer<typeof settingsSchema>;
export type SettingKey = keyof Settings;

export const SETTING_DESCRIPTIONS: Record<SettingKey, string> = {
	'scheduler.paused': 'Pause all scheduled ticks (they are recorded as skipped); manual runs still work',
	'executions.retentionDays': 'Runs older than this many days are deleted by prune-executions',
	'scheduler.defaultTimezone': 'Time zone of jobs that do not set their own'
};

export function defaultSettings(defaultTimezone: string): Settings {
	return { 'scheduler.paused': false, 'executions.retentionDays': 30, 'scheduler.defaultTimezone': defaultTimezone };
}

export async function loadSettings(sql: Queryable, defaultTimezone: string): Promise<Settings> {
	const rows = await sql<{ key: string; value: unknown }[]>`select key, value from cron_job_config`;
	const merged: Record<string, unknown> = { ...defaultSettings(defaultTimezone) };
	for (const r of rows) {
		const field = settingsSchema.shape[r.key as SettingKey];
		if (field?.safeParse(r.value).success) merged[r.key] = r.value;
	}
	return merged as Settings;
}

export async function updateSettings(sql: Sql, patch: Partial<Settings>, actor: string, defaultTimezone: string): Promise<Settings> {
	const valid = settingsSchema.partial().parse(patch);
	return sql.begin(async (tx) => {
		const before = await loadSettings(tx, defaultTimezone);
		for (const [key, value] of Object.entries(valid)) {
			if (value === undefined) continue;
			await tx`
				insert into cron_job_config (key, value, description, updated_at, updated_by)
				values (${key}, ${tx.json(value)}, ${SETTING_DESCRIPTIONS[key as SettingKey]}, now(), ${actor})
				on conflict (key) do update set value = excluded.value, updated_at = now(), updated_by = excluded.updated_by`;
		}
		const after = await loadSettings(tx, defaultTimezone);
		await audit(tx, { actor, action: 'settings.update', entity: 'settings', entityId: null, before, after });
		await notify(tx, { t: 'settings' });
		return after;
	});
}
