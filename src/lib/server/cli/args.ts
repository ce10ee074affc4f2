/** Command-line parsing for the CLI: a command, its positionals and its `--flags`. */

export type CommandSpec = {
	/** Names of the required positional arguments, for messages (`<key>`). */
	positionals: string[];
	/** Accepted flags; `true` marks one that takes a value (`--label L` or `--label=L`). */
	flags: Record<string, boolean>;
};

export type Parsed =
	| { kind: 'help' }
	| { kind: 'error'; message: string; showUsage: boolean }
	| { kind: 'command'; command: string; positionals: string[]; flags: Record<string, string | true> };

export function parseArgs(argv: string[], specs: Record<string, CommandSpec>): Parsed {
	if (argv.some((a) => a === '-h' || a === '--help')) return { kind: 'help' };
	const [command, ...rest] = argv;
	if (command === undefined) return { kind: 'error', message: 'no command given', showUsage: true };
	if (command === 'help') return { kind: 'help' };
	const spec = Object.hasOwn(specs, command) ? specs[command] : undefined;
	if (!spec) return { kind: 'error', message: `unknown command "${command}"`, showUsage: true };
	const positionals: string[] = [];
	const flags: Record<string, string | true> = {};
	for (let i = 0; i < rest.length; i++) {
		const arg = rest[i]!;
		if (!arg.startsWith('--') || arg === '--') {
			if (arg !== '--') positionals.push(arg);
			continue;
		}
		const eq = arg.indexOf('=');
		const name = arg.slice(2, eq < 0 ? undefined : eq);
		if (!Object.hasOwn(spec.flags, name)) return { kind: 'error', message: `${command}: unknown option --${name}`, showUsage: false };
		if (!spec.flags[name]) {
			if (eq >= 0) return { kind: 'error', message: `${command}: --${name} takes no value`, showUsage: false };
			flags[name] = true;
			continue;
		}
		const value = eq >= 0 ? arg.slice(eq + 1) : rest[++i];
		if (value === undefined || value === '') return { kind: 'error', message: `${command}: --${name} needs a value`, showUsage: false };
		flags[name] = value;
	}
	if (positionals.length < spec.positionals.length) {
		return { kind: 'error', message: `${command}: missing ${spec.positionals.slice(positionals.length).join(' ')}`, showUsage: false };
	}
	if (positionals.length > spec.positionals.length) {
		return { kind: 'error', message: `${command}: unexpected argument "${positionals[spec.positionals.length]}"`, showUsage: false };
	}
	return { kind: 'command', command, positionals, flags };
}
