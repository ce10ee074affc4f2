-- The job list's search (cron/jobs.ts, jobFilter: key or name contains the text, any case) rides
-- trigram GIN indexes when the pg_trgm extension can be had: it ships in PostgreSQL's contrib
-- package (and with the embedded server) and is trusted since PostgreSQL 13, so the database's
-- owner may create it. Where it cannot be created (no contrib package, no right to create it)
-- this migration only warns: search stays correct, as a scan of every job (README, "An external PostgreSQL").
DO $$
DECLARE
	trgm_schema text;
BEGIN
	BEGIN
		CREATE EXTENSION IF NOT EXISTS pg_trgm;
	EXCEPTION WHEN OTHERS THEN
		RAISE WARNING 'cronkit: pg_trgm is not available (%): the job list''s search scans every job', SQLERRM;
	END;
	SELECT n.nspname INTO trgm_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
	IF trgm_schema IS NOT NULL THEN
		EXECUTE format('CREATE INDEX IF NOT EXISTS cron_job_key_trgm_idx ON cron_job USING gin (key %I.gin_trgm_ops)', trgm_schema);
		EXECUTE format('CREATE INDEX IF NOT EXISTS cron_job_name_trgm_idx ON cron_job USING gin (name %I.gin_trgm_ops)', trgm_schema);
	END IF;
END
$$;
