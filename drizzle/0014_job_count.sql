CREATE TABLE "cron_job_count" (
	"one" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "cron_job_count_one_row" CHECK ("cron_job_count"."one")
);
--> statement-breakpoint
-- The number of jobs, kept exact by statement-level triggers (one UPDATE per INSERT, DELETE or
-- TRUNCATE statement, however many rows it touched; an upsert's NEW TABLE holds only the rows it
-- inserted). The row is updated in the writing transaction, so readers see the count and the rows
-- commit together. The job list reads it (cron/jobs.ts, countJobs) instead of counting every job.
INSERT INTO "cron_job_count" ("one", "n") SELECT true, count(*) FROM "cron_job";--> statement-breakpoint
CREATE FUNCTION cron_job_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE cron_job_count SET n = n + (SELECT count(*) FROM inserted_jobs);
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE FUNCTION cron_job_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE cron_job_count SET n = n - (SELECT count(*) FROM deleted_jobs);
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE FUNCTION cron_job_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE cron_job_count SET n = 0;
	RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER cron_job_count_insert AFTER INSERT ON cron_job REFERENCING NEW TABLE AS inserted_jobs
	FOR EACH STATEMENT EXECUTE FUNCTION cron_job_count_inserted();--> statement-breakpoint
CREATE TRIGGER cron_job_count_delete AFTER DELETE ON cron_job REFERENCING OLD TABLE AS deleted_jobs
	FOR EACH STATEMENT EXECUTE FUNCTION cron_job_count_deleted();--> statement-breakpoint
CREATE TRIGGER cron_job_count_truncate AFTER TRUNCATE ON cron_job
	FOR EACH STATEMENT EXECUTE FUNCTION cron_job_count_truncated();
