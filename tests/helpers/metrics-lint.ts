/**
 * The rules `promtool check metrics` applies to an exposition (Prometheus 2.x lint): every metric
 * has HELP and TYPE, counters end in `_total` and nothing else does, names are snake_case without
 * abbreviated units; plus ours: one `cronkit_` prefix, never doubled.
 */
export function metricsProblems(text: string): string[] {
	const problems: string[] = [];
	const help = new Set<string>();
	const types = new Map<string, string>();
	for (const line of text.split('\n')) {
		const h = /^# HELP (\S+) (.*)$/.exec(line);
		if (h) {
			if (!h[2]!.trim()) problems.push(`${h[1]} has an empty HELP`);
			help.add(h[1]!);
		}
		const t = /^# TYPE (\S+) (\S+)$/.exec(line);
		if (t) types.set(t[1]!, t[2]!);
	}
	for (const [name, type] of types) {
		if (!help.has(name)) problems.push(`${name} has no HELP`);
		if (type === 'counter' && !name.endsWith('_total')) problems.push(`counter ${name} should end in _total`);
		if (type !== 'counter' && name.endsWith('_total')) problems.push(`${type} ${name} should not end in _total`);
		if (!/^[a-z_:][a-z0-9_:]*$/.test(name)) problems.push(`${name} is not snake_case`);
		if (/_(ms|sec|secs|msec|usec|kb|mb)(_|$)/.test(name)) problems.push(`${name} has an abbreviated unit`);
		if (!name.startsWith('cronkit_')) problems.push(`${name} lacks the cronkit_ prefix`);
		if (/^cronkit_(\w+_)\1/.test(name) || name.includes('cronkit_cronkit_')) problems.push(`${name} repeats a prefix`);
	}
	if (!types.size) problems.push('no metrics at all');
	return problems;
}
