import pino from 'pino';

/** One pino logger for the process; secrets are redacted wherever they would appear. */
export const log = pino({
	level: process.env.LOG_LEVEL || 'info',
	base: undefined,
	redact: {
		paths: ['password', '*.password', 'secret', '*.secret', 'token', '*.token', 'accessKey', '*.accessKey', 'authorization', '*.authorization', 'headers.authorization', 'headers.cookie'],
		censor: '[redacted]'
	}
});

export function setLogLevel(level: string): void {
	log.level = level;
}
