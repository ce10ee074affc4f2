/**
 * The one registry of code jobs and job types. A domain adds its built-in jobs here
 * (session-cleanup, email-retry … come with their domains).
 */
import { pruneAlerts } from '../alerts/prune-job';
import { sessionCleanup } from '../devices/cleanup-job';
import { emailRetry } from '../email/retry-job';
import { markUsersOffline } from '../maintenance/mark-users-offline';
import { pruneAuthSessions } from '../maintenance/prune-auth-sessions';
import type { EgressPolicy } from '../egress/policy';
import type { SecretBox } from '../secrets/box';
import { httpJobType } from './http-job';
import { pruneExecutions } from './prune-executions';
import type { RegisteredJob, RegisteredType } from './types';

export const codeJobs: RegisteredJob[] = [pruneExecutions, sessionCleanup, emailRetry, markUsersOffline, pruneAuthSessions, pruneAlerts];

/** The types jobs created in the UI or the API can have (the job form's choices). */
export const JOB_TYPE_NAMES = ['http'] as const;

/** The job types with what they need from the process: the key of their secrets, the egress policy. */
export function createJobTypes(deps: { secrets: SecretBox; egress: EgressPolicy }): Record<(typeof JOB_TYPE_NAMES)[number], RegisteredType> {
	return { http: httpJobType(deps) };
}
