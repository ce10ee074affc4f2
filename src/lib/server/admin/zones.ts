/**
 * The time zones the forms offer. The list is the IANA zone names of `@vvo/tzdb` (current
 * canonical names such as Asia/Kolkata and Europe/Kyiv, regenerated with every tz release),
 * not `Intl.supportedValuesOf('timeZone')`, which on Node 20 still lists legacy names
 * (Asia/Calcutta, Europe/Kiev) and lacks the current ones. Only names this runtime can format
 * are offered (the scheduler computes with the same Intl data). A stored zone the list lacks
 * (a legacy alias set through the API, say) is offered too, as it is: a form never drops it.
 */
import { timeZonesNames } from '@vvo/tzdb';
import { isValidTimeZone } from '../config';

export type ZoneChoice = { value: string; label: string };

let base: string[] | undefined;

function offered(): string[] {
	base ??= ['UTC', ...timeZonesNames.filter((z) => z !== 'UTC' && isValidTimeZone(z)).sort()];
	return base;
}

/** The zones a form offers, with `stored` (the value being edited) among them whatever it is. */
export function zoneChoices(stored?: string | null): ZoneChoice[] {
	const names = offered();
	const choices = names.map((z) => ({ value: z, label: z }));
	if (stored && !names.includes(stored)) choices.unshift({ value: stored, label: `${stored} (as stored)` });
	return choices;
}
