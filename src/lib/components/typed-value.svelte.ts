/**
 * The value of a form control on a live page: what the page gives it, unless the user has typed
 * or chosen something since that given value last changed.
 *
 * Admin pages re-run their loads on live updates, so a control's given value (`job.name`,
 * `data.formValues.key`) is re-evaluated often, usually to the same string. A Svelte prop written
 * locally is overwritten by every such re-evaluation, which wiped a half-filled form whenever a
 * run or ping arrived. Here only a given value that really changes (saved elsewhere, or a form
 * result) replaces what was typed.
 */
export function typedValue<T>(given: () => T): { current: T } {
	let typed = $state<{ over: T; value: T } | null>(null);
	return {
		get current() {
			const g = given();
			return typed !== null && Object.is(typed.over, g) ? typed.value : g;
		},
		set current(value: T) {
			typed = { over: given(), value };
		}
	};
}
