-- Secrets of http jobs (header values, the URL's user-info) are write-only: earlier versions wrote
-- them in plain text into the audit log and (the user-info) into run output and errors. Mask them
-- there as •••• (the jobs' own rows are encrypted under SECRET_KEY at boot, which needs the key).
UPDATE "audit_log" SET "before" = jsonb_set("before", '{params,headers}', (
	SELECT coalesce(jsonb_object_agg(k, '••••'::text), '{}'::jsonb) FROM jsonb_object_keys("before"->'params'->'headers') AS k
)) WHERE "entity" = 'cron_job' AND jsonb_typeof("before"->'params'->'headers') = 'object';
--> statement-breakpoint
UPDATE "audit_log" SET "after" = jsonb_set("after", '{params,headers}', (
	SELECT coalesce(jsonb_object_agg(k, '••••'::text), '{}'::jsonb) FROM jsonb_object_keys("after"->'params'->'headers') AS k
)) WHERE "entity" = 'cron_job' AND jsonb_typeof("after"->'params'->'headers') = 'object';
--> statement-breakpoint
UPDATE "audit_log" SET "before" = jsonb_set("before", '{params,url}', to_jsonb(regexp_replace("before"->'params'->>'url', '^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@', '\1••••@')))
WHERE "entity" = 'cron_job' AND "before"->'params'->>'url' ~ '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@]*@';
--> statement-breakpoint
UPDATE "audit_log" SET "after" = jsonb_set("after", '{params,url}', to_jsonb(regexp_replace("after"->'params'->>'url', '^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@', '\1••••@')))
WHERE "entity" = 'cron_job' AND "after"->'params'->>'url' ~ '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@]*@';
--> statement-breakpoint
UPDATE "cron_job_execution" SET
	"output" = regexp_replace("output", '(https?://)[^/?#@\s]*@', '\1••••@', 'gi'),
	"error_message" = regexp_replace("error_message", '(https?://)[^/?#@\s]*@', '\1••••@', 'gi')
WHERE "job_id" IN (SELECT "key" FROM "cron_job" WHERE "type" = 'http')
	AND ("output" ~* 'https?://[^/?#@\s]*@' OR "error_message" ~* 'https?://[^/?#@\s]*@');
