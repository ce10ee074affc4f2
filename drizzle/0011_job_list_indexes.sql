CREATE INDEX "cron_job_name_idx" ON "cron_job" USING btree ("name","key");--> statement-breakpoint
CREATE INDEX "cron_job_next_run_idx" ON "cron_job" USING btree ("next_run_at","key");--> statement-breakpoint
CREATE INDEX "cron_job_misconfigured_idx" ON "cron_job" USING btree ("key") WHERE "cron_job"."config_error" is not null;--> statement-breakpoint
CREATE INDEX "cron_job_disabled_idx" ON "cron_job" USING btree ("key") WHERE not "cron_job"."enabled";--> statement-breakpoint
CREATE INDEX "cron_job_failing_idx" ON "cron_job" USING btree ("key") WHERE "cron_job"."consecutive_failures" > 0;