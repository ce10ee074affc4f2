import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { defineJobType, type RegisteredType } from './types';

/** Why stored command jobs cannot run while COMMAND_JOBS is off (their state, and a triggered run's error). */
export const COMMAND_JOBS_DISABLED = 'command jobs are disabled on this server';

export const commandJobParams = z.strictObject({
	/** The program and its arguments: argv[0] is looked up in PATH; no shell unless it names one. */
	argv: z
		.array(z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(4096, 'must be at most 4096 characters'), {
			error: 'must be an array of strings'
		})
		.min(1, 'must name a program')
		.max(256, 'must have at most 256 items'),
	/** Working directory (absolute); the server's when omitted. */
	cwd: z.string({ error: 'must be a string' }).refine(isAbsolute, 'must be an absolute path').optional(),
	/** Added to the environment (the server's, less its configuration secrets). */
	env: z
		.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'names must be letters, digits and _'), z.string({ error: 'must be a string' }), {
			error: 'must be an object of strings'
		})
		.optional(),
	/** Written to the program's standard input, which is then closed. */
	stdin: z.string({ error: 'must be a string' }).max(1_000_000, 'must be at most 1000000 characters').optional(),
	/** After SIGTERM, how long the program's process group has before SIGKILL. */
	killGraceMs: z
		.number({ error: 'must be a number' })
		.int('must be a whole number')
		.min(0, 'must be between 0 and 60000')
		.max(60_000, 'must be between 0 and 60000')
		.default(5_000)
});

export type CommandJobParams = z.infer<typeof commandJobParams>;

/** Type `command`: a program in a process group of its own (see process/run-process.ts). */
export function commandJobType(enabled: boolean): RegisteredType {
	return defineJobType<CommandJobParams>({
		name: 'command',
		params: commandJobParams,
		disabled: enabled ? undefined : COMMAND_JOBS_DISABLED,
		spawn: (p) => ({ argv: p.argv, cwd: p.cwd, env: p.env, stdin: p.stdin, killGraceMs: p.killGraceMs })
	});
}
