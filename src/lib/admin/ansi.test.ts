import { describe, expect, it } from 'vitest';
import { ansiSegments } from './ansi';

const text = (s: string) => ansiSegments(s).map((x) => x.text).join('');

describe('run output with ANSI codes', () => {
	it('turns colours into classes and keeps the text as it is', () => {
		const segs = ansiSegments('ok \x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[0m');
		expect(segs).toEqual([
			{ text: 'ok ', class: '' },
			{ text: 'red', class: 'text-red-700 dark:text-red-400' },
			{ text: ' ', class: '' },
			{ text: 'bold green', class: 'text-emerald-700 dark:text-emerald-400 font-bold' }
		]);
	});

	it('drops every other escape: cursor moves, titles, bells, lone ESC', () => {
		expect(text('a\x1b[2Kb\x1b]0;title\x07c\x1b]8;;http://x\x1b\\d\x07e\x1bf\x1b[?25lg')).toBe('abcdefg');
	});

	it('markup stays text (the page interpolates it, never as HTML)', () => {
		expect(text('<script>alert(1)</script>\n\tnext')).toBe('<script>alert(1)</script>\n\tnext');
	});
});
