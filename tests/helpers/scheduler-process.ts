/**
 * A scheduler in a process of its own (for the fencing test, which freezes it with SIGSTOP):
 * `tsx tests/helpers/scheduler-process.ts <database url> <instance id> <lease ms>`. Its job
 * `fenced` runs until aborted, then finishes *successfully* (a late success the ledger must
 * refuse). It prints `READY`, `STARTED <id>` and `ABORTED <id> <ms since epoch>`, one per line.
 */
import pino from 'pino';
import { openPool, wrap } from '../../src/lib/server/db';
import { Scheduler } from '../../src/lib/server/cron/scheduler';
import { fencedJob } from './fenced-job';
import { testJobTypes } from './scheduler';

const [url, instanceId, lease] = process.argv.slice(2);
const sql = openPool(url!, 5);
const scheduler = new Scheduler({
	sql,
	db: wrap(sql),
	instanceId: instanceId!,
	defaultTimezone: 'UTC',
	definitions: [fencedJob(instanceId!)],
	types: testJobTypes(),
	log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
	leaseMs: Number(lease),
	pollMs: 200
});

// Handlers first, then the ready line: a signal sent on READY must find them installed.
process.on('SIGTERM', () => void scheduler.close(1000).then(() => sql.end({ timeout: 1 })).then(() => process.exit(0)));
await scheduler.start();
process.stdout.write('READY\n');
