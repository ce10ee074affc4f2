/**
 * A run's output with its ANSI escape codes made safe: colours and bold become segments with
 * the app's own classes (rendered as text, never HTML), every other escape (cursor moves,
 * window titles, bells) is dropped. The SGR parsing is anser's.
 */
import Anser from 'anser';

export type OutputSegment = { text: string; class: string };

/** The 16 ANSI colours as the app's classes (literal, so Tailwind keeps them). Others: none. */
const COLOURS: Record<string, string> = {
	'ansi-black': 'text-slate-700 dark:text-slate-300',
	'ansi-red': 'text-red-700 dark:text-red-400',
	'ansi-green': 'text-emerald-700 dark:text-emerald-400',
	'ansi-yellow': 'text-amber-700 dark:text-amber-300',
	'ansi-blue': 'text-blue-700 dark:text-blue-400',
	'ansi-magenta': 'text-fuchsia-700 dark:text-fuchsia-400',
	'ansi-cyan': 'text-cyan-700 dark:text-cyan-400',
	'ansi-white': 'text-slate-600 dark:text-slate-200',
	'ansi-bright-black': 'text-slate-600 dark:text-slate-400',
	'ansi-bright-red': 'text-red-700 dark:text-red-300',
	'ansi-bright-green': 'text-emerald-700 dark:text-emerald-300',
	'ansi-bright-yellow': 'text-amber-700 dark:text-amber-200',
	'ansi-bright-blue': 'text-blue-700 dark:text-blue-300',
	'ansi-bright-magenta': 'text-fuchsia-700 dark:text-fuchsia-300',
	'ansi-bright-cyan': 'text-cyan-700 dark:text-cyan-300',
	'ansi-bright-white': 'text-slate-600 dark:text-white'
};

/** OSC sequences (window title, hyperlinks) end with BEL or ST; anser leaves them in. */
// eslint-disable-next-line no-control-regex -- escape sequences are what it matches
const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
/** Whatever escape or control character is left (not tab, line feed or carriage return). */
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])?|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

export function ansiSegments(text: string): OutputSegment[] {
	const out: OutputSegment[] = [];
	for (const e of Anser.ansiToJson(text.replace(OSC, ''), { use_classes: true, remove_empty: true })) {
		const content = e.content.replace(CONTROL, '');
		if (!content) continue;
		const classes = [e.fg ? COLOURS[e.fg] : undefined, e.decorations.includes('bold') ? 'font-bold' : undefined, e.decorations.includes('underline') ? 'underline' : undefined];
		const cls = classes.filter(Boolean).join(' ');
		const last = out[out.length - 1];
		if (last && last.class === cls) last.text += content;
		else out.push({ text: content, class: cls });
	}
	return out;
}
