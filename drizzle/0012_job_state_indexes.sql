DROP INDEX "cron_job_disabled_idx";--> statement-breakpoint
DROP INDEX "cron_job_failing_idx";--> statement-breakpoint
CREATE INDEX "cron_job_disabled_idx" ON "cron_job" USING btree ("key") WHERE "cron_job"."config_error" is null and not "cron_job"."enabled";--> statement-breakpoint
CREATE INDEX "cron_job_failing_idx" ON "cron_job" USING btree ("key") WHERE "cron_job"."config_error" is null and "cron_job"."enabled" and "cron_job"."consecutive_failures" > 0;