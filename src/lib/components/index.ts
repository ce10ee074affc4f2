/**
 * The shared UI kit. Each component documents its props at the top of its file.
 * Import from here: `import { Button, Card, Time } from '$lib/components';`
 */
export { default as Alert } from './Alert.svelte';
export { default as Badge, type Tone } from './Badge.svelte';
export { default as Button, buttonClass, type ButtonSize, type ButtonVariant } from './Button.svelte';
export { default as Card } from './Card.svelte';
export { default as ConfirmButton } from './ConfirmButton.svelte';
export { default as Field, controlClass, type FieldControl } from './Field.svelte';
export { default as Input } from './Input.svelte';
export { default as PageHeader } from './PageHeader.svelte';
export { default as Select } from './Select.svelte';
export { default as StatusPill, statusTone } from './StatusPill.svelte';
export { default as Table } from './Table.svelte';
export { default as Time } from './Time.svelte';
export { now } from './clock.svelte';
export { default as ErrorPage } from './ErrorPage.svelte';
export { default as CopyButton } from './CopyButton.svelte';
export { default as ThemeToggle } from './ThemeToggle.svelte';
