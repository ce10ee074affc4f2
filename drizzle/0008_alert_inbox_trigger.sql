-- The alerts' inbox (src/lib/server/alerts/evaluator.ts): whenever a run reaches a final status
-- (succeeded, failed, timed_out, interrupted) or a tick is recorded missed, its id is added to
-- alert_inbox in the same transaction, whichever statement did it (the outcome writer's settle,
-- the lease reaper, catch-up). The WHEN clauses are checked without calling the function, so
-- other updates of a run (claims, lease renewals) cost nothing.
CREATE FUNCTION "cronkit_alert_inbox"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "alert_inbox" ("execution_id") VALUES (NEW."id") ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "cron_job_execution_alert_settled" AFTER UPDATE OF "status" ON "cron_job_execution"
	FOR EACH ROW
	WHEN (OLD."status" IN ('queued', 'running') AND NEW."status" IN ('succeeded', 'failed', 'timed_out', 'interrupted'))
	EXECUTE FUNCTION "cronkit_alert_inbox"();
--> statement-breakpoint
CREATE TRIGGER "cron_job_execution_alert_missed" AFTER INSERT ON "cron_job_execution"
	FOR EACH ROW
	WHEN (NEW."status" = 'missed')
	EXECUTE FUNCTION "cronkit_alert_inbox"();
--> statement-breakpoint
-- Code jobs' stored code defaults gain the two new settings at their defaults, so a job that
-- nobody edited keeps following its code (jobs.ts compares each setting with the previous default).
UPDATE "cron_job" SET "code_defaults" = "code_defaults"
	|| jsonb_build_object('alerts', '{"onFailure": "first", "onRecovery": true, "onMissed": false}'::jsonb, 'autoDisableAfter', null)
WHERE "code_defaults" IS NOT NULL;
