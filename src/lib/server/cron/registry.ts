/**
 * The one registry of code jobs and job types. A domain adds its built-in jobs here
 * (session-cleanup, email-retry … come with their domains).
 */
import { sessionCleanup } from '../devices/cleanup-job';
import { emailRetry } from '../email/retry-job';
import { markUsersOffline } from '../maintenance/mark-users-offline';
import { pruneAuthSessions } from '../maintenance/prune-auth-sessions';
import { httpJobType } from './http-job';
import { pruneExecutions } from './prune-executions';
import type { RegisteredJob, RegisteredType } from './types';

export const codeJobs: RegisteredJob[] = [pruneExecutions, sessionCleanup, emailRetry, markUsersOffline, pruneAuthSessions];

export const jobTypes: Record<string, RegisteredType> = {
	http: httpJobType
};
