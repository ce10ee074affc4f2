/** The built entry of isolated code jobs' child processes (build/cli/isolated-child.js). */
import { codeJobs } from '../registry';
import { runIsolatedChild } from './isolated-child';

await runIsolatedChild(codeJobs);
