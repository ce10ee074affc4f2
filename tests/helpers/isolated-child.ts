/**
 * The child process of isolated code jobs in tests: the production child logic with the test's
 * own jobs (the built entry uses the app's registry instead).
 *   node --import tsx tests/helpers/isolated-child.ts
 */
import { runIsolatedChild } from '../../src/lib/server/cron/process/isolated-child';
import { isolatedTestJobs } from './isolated-jobs';

await runIsolatedChild(isolatedTestJobs);
