/** The built entry of isolated code jobs' child processes (build/cli/isolated-child.js). */
import { codeJobs } from '../job-registry';
import { runIsolatedChild } from '../cron/process/isolated-child';

await runIsolatedChild(codeJobs);
