/** Alert services on a test database beside its scheduler instances, with short timings. */
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import { AlertService, type AlertTiming } from '../../src/lib/server/alerts/service';
import type { Clock } from '../../src/lib/server/cron/clock';
import { DEFAULT_HTTP_JOB_DENY, EgressPolicy } from '../../src/lib/server/egress/policy';
import type { Mailer } from '../../src/lib/server/email/transport';
import { quietLog, testSecrets } from './scheduler';

export const ORIGIN = 'http://cronkit.test';

/** Short enough for tests, in the same proportions as the real ones. */
export const TEST_ALERT_TIMING: Partial<AlertTiming> = {
	backoffMs: [200, 400, 800, 1_600],
	sendTimeoutMs: 2_000,
	claimMs: 5_000,
	pollMs: 500,
	resyncMs: 2_000
};

export function alertService(sql: Sql, opts: { timing?: Partial<AlertTiming>; clock?: Clock; mailer?: Mailer; egress?: EgressPolicy; log?: Logger } = {}): AlertService {
	return new AlertService({
		sql,
		log: opts.log ?? quietLog,
		origin: ORIGIN,
		defaultTimezone: 'UTC',
		secrets: testSecrets,
		egress: opts.egress ?? EgressPolicy.fromLists(DEFAULT_HTTP_JOB_DENY),
		mailer: opts.mailer,
		clock: opts.clock,
		timing: { ...TEST_ALERT_TIMING, ...opts.timing }
	});
}
