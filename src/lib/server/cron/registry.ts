/**
 * The one registry of code jobs and job types. A domain adds its built-in jobs here
 * (session-cleanup, email-retry … come with their domains).
 */
import { sessionCleanup } from '../devices/cleanup-job';
import { emailRetry } from '../email/retry-job';
import { markUsersOffline } from '../maintenance/mark-users-offline';
import { pruneAuthSessions } from '../maintenance/prune-auth-sessions';
import type { EgressPolicy } from '../egress/policy';
import type { SecretBox } from '../secrets/box';
import { commandJobType } from './command-job';
import { httpJobType } from './http-job';
import { pruneExecutions } from './prune-executions';
import type { RegisteredJob, RegisteredType } from './types';

export const codeJobs: RegisteredJob[] = [pruneExecutions, sessionCleanup, emailRetry, markUsersOffline, pruneAuthSessions];

/** The types jobs created in the UI or the API can have (the job form's choices). */
export const JOB_TYPE_NAMES = ['http', 'command'] as const;

/**
 * The job types with what they need from the process: the key of their secrets, the egress
 * policy, whether command jobs may run here (COMMAND_JOBS).
 */
export function createJobTypes(deps: { secrets: SecretBox; egress: EgressPolicy; commandJobs?: boolean }): Record<(typeof JOB_TYPE_NAMES)[number], RegisteredType> {
	return { http: httpJobType(deps), command: commandJobType(deps.commandJobs ?? false) };
}
