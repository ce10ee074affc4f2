/**
 * The jobs and job types of this app, listed where the app is composed (runtime.ts): each
 * domain defines its built-in jobs beside its code (session-cleanup in devices/, email-retry in
 * email/ …) and the scheduler knows them only through this list, so no domain imports another
 * to be scheduled. docs/architecture.md, "Where to add things".
 */
import { commandJobType } from './cron/command-job';
import { httpJobType } from './cron/http-job';
import { pruneExecutions } from './cron/prune-executions';
import type { RegisteredJob, RegisteredType } from './cron/types';
import { sessionCleanup } from './devices/cleanup-job';
import { emailRetry } from './email/retry-job';
import type { EgressPolicy } from './egress/policy';
import { markUsersOffline } from './maintenance/mark-users-offline';
import { pruneAuthSessions } from './maintenance/prune-auth-sessions';
import type { SecretBox } from './secrets/box';

export const codeJobs: RegisteredJob[] = [pruneExecutions, sessionCleanup, emailRetry, markUsersOffline, pruneAuthSessions];

/**
 * The types jobs created in the UI or the API can have (the job form's choices), with what they
 * need from the process: the key of their secrets, the egress policy, whether command jobs may
 * run here (COMMAND_JOBS).
 */
export function createJobTypes(deps: { secrets: SecretBox; egress: EgressPolicy; commandJobs?: boolean }): Record<string, RegisteredType> {
	return { http: httpJobType(deps), command: commandJobType(deps.commandJobs ?? false) };
}
