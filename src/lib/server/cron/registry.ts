/**
 * The one registry of code jobs and job types. A domain adds its built-in jobs here
 * (session-cleanup, email-retry … come with their domains).
 */
import { httpJobType } from './http-job';
import { pruneExecutions } from './prune-executions';
import type { RegisteredJob, RegisteredType } from './types';

export const codeJobs: RegisteredJob[] = [pruneExecutions];

export const jobTypes: Record<string, RegisteredType> = {
	http: httpJobType
};
