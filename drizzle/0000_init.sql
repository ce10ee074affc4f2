CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"entity" text NOT NULL,
	"entity_id" text,
	"before" jsonb,
	"after" jsonb
);
--> statement-breakpoint
CREATE TABLE "cron_job" (
	"key" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"source" text NOT NULL,
	"type" text NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"schedule" text NOT NULL,
	"timezone" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"timeout_ms" integer NOT NULL,
	"max_retries" integer DEFAULT 0 NOT NULL,
	"overlap" text DEFAULT 'forbid' NOT NULL,
	"catch_up" text DEFAULT 'once' NOT NULL,
	"catch_up_max_age_ms" bigint NOT NULL,
	"code_defaults" jsonb,
	"config_error" text,
	"ticks_owed_since" timestamp with time zone DEFAULT now() NOT NULL,
	"next_run_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"last_status" text,
	"last_duration_ms" integer,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text,
	CONSTRAINT "cron_job_source_check" CHECK ("cron_job"."source" in ('code', 'ui')),
	CONSTRAINT "cron_job_overlap_check" CHECK ("cron_job"."overlap" in ('forbid', 'allow', 'replace')),
	CONSTRAINT "cron_job_catch_up_check" CHECK ("cron_job"."catch_up" in ('skip', 'once', 'all')),
	CONSTRAINT "cron_job_timeout_check" CHECK ("cron_job"."timeout_ms" > 0),
	CONSTRAINT "cron_job_max_retries_check" CHECK ("cron_job"."max_retries" >= 0)
);
--> statement-breakpoint
CREATE TABLE "cron_job_config" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"description" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text
);
--> statement-breakpoint
CREATE TABLE "cron_job_execution" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "cron_job_execution_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"job_id" text NOT NULL,
	"trigger" text NOT NULL,
	"scheduled_for" timestamp with time zone,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"retry_of" bigint,
	"status" text NOT NULL,
	"exclusive" boolean DEFAULT false NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"duration_ms" integer,
	"instance_id" text,
	"lease_expires_at" timestamp with time zone,
	"triggered_by_user_id" text,
	"triggered_by" text,
	"output" text,
	"result" jsonb,
	"error_message" text,
	"error_stack" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cron_job_execution_status_check" CHECK ("cron_job_execution"."status" in ('queued', 'running', 'succeeded', 'failed', 'timed_out', 'interrupted', 'skipped', 'missed', 'cancelled')),
	CONSTRAINT "cron_job_execution_trigger_check" CHECK ("cron_job_execution"."trigger" in ('schedule', 'catch_up', 'manual', 'api', 'retry'))
);
--> statement-breakpoint
ALTER TABLE "cron_job_execution" ADD CONSTRAINT "cron_job_execution_job_id_cron_job_key_fk" FOREIGN KEY ("job_id") REFERENCES "public"."cron_job"("key") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "audit_log" USING btree ("entity","entity_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "cron_job_execution_tick_uq" ON "cron_job_execution" USING btree ("job_id","scheduled_for");--> statement-breakpoint
CREATE INDEX "cron_job_execution_history_idx" ON "cron_job_execution" USING btree ("job_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "cron_job_execution_queued_idx" ON "cron_job_execution" USING btree ("run_at") WHERE "cron_job_execution"."status" = 'queued';--> statement-breakpoint
CREATE INDEX "cron_job_execution_running_idx" ON "cron_job_execution" USING btree ("lease_expires_at") WHERE "cron_job_execution"."status" = 'running';--> statement-breakpoint
CREATE UNIQUE INDEX "cron_job_execution_exclusive_uq" ON "cron_job_execution" USING btree ("job_id") WHERE "cron_job_execution"."exclusive";--> statement-breakpoint
CREATE INDEX "cron_job_execution_status_idx" ON "cron_job_execution" USING btree ("status","id" DESC NULLS LAST);