CREATE TABLE "alert_fired" (
	"key" text PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_inbox" (
	"execution_id" bigint PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_alert_state" (
	"job_key" text PRIMARY KEY NOT NULL,
	"failing" boolean DEFAULT false NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"last_success_at" timestamp with time zone,
	"no_success_fired_for" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "monitor" (
	"key" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_hash" "bytea" NOT NULL,
	"period_seconds" integer,
	"schedule" text,
	"timezone" text,
	"grace_seconds" integer NOT NULL,
	"channels" jsonb,
	"status" text DEFAULT 'new' NOT NULL,
	"status_changed_at" timestamp with time zone,
	"last_ping_at" timestamp with time zone,
	"last_ping_kind" text,
	"last_start_at" timestamp with time zone,
	"expected_at" timestamp with time zone,
	"down_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text,
	CONSTRAINT "monitor_status_check" CHECK ("monitor"."status" in ('new', 'up', 'down')),
	CONSTRAINT "monitor_expectation_check" CHECK (("monitor"."period_seconds" is null) <> ("monitor"."schedule" is null)),
	CONSTRAINT "monitor_period_check" CHECK ("monitor"."period_seconds" is null or "monitor"."period_seconds" > 0),
	CONSTRAINT "monitor_grace_check" CHECK ("monitor"."grace_seconds" >= 0)
);
--> statement-breakpoint
CREATE TABLE "monitor_flip" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "monitor_flip_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"monitor_key" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"from_status" text NOT NULL,
	"to_status" text NOT NULL,
	"reason" text NOT NULL,
	"alerted" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "monitor_ping" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "monitor_ping_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"monitor_key" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"exit_code" integer,
	"body" text,
	"body_bytes" integer DEFAULT 0 NOT NULL,
	"remote_addr" text,
	"user_agent" text,
	CONSTRAINT "monitor_ping_kind_check" CHECK ("monitor_ping"."kind" in ('success', 'start', 'fail'))
);
--> statement-breakpoint
CREATE TABLE "notification" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "notification_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"channel_id" text NOT NULL,
	"subject" text,
	"job_key" text,
	"monitor_key" text,
	"execution_id" bigint,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_attempt_at" timestamp with time zone,
	"last_error" text,
	"email_id" bigint,
	"held_by" bigint,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_event_check" CHECK ("notification"."event" in ('failed', 'recovered', 'missed', 'slow', 'no_success', 'auto_disabled', 'monitor_down', 'monitor_up', 'test')),
	CONSTRAINT "notification_status_check" CHECK ("notification"."status" in ('pending', 'sending', 'delivered', 'failed', 'held'))
);
--> statement-breakpoint
CREATE TABLE "notification_channel" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"format" text,
	"url" text,
	"url_shown" text,
	"to" text[],
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text,
	CONSTRAINT "notification_channel_type_check" CHECK ("notification_channel"."type" in ('webhook', 'email')),
	CONSTRAINT "notification_channel_format_check" CHECK ("notification_channel"."format" is null or "notification_channel"."format" in ('json', 'slack', 'discord'))
);
--> statement-breakpoint
CREATE TABLE "notification_window" (
	"subject" text NOT NULL,
	"channel_id" text NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"held" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_payload" jsonb,
	CONSTRAINT "notification_window_subject_channel_id_pk" PRIMARY KEY("subject","channel_id")
);
--> statement-breakpoint
ALTER TABLE "cron_job" ADD COLUMN "alerts" jsonb DEFAULT '{"onFailure": "first", "onRecovery": true, "onMissed": false}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "cron_job" ADD COLUMN "auto_disable_after" integer;--> statement-breakpoint
ALTER TABLE "job_alert_state" ADD CONSTRAINT "job_alert_state_job_key_cron_job_key_fk" FOREIGN KEY ("job_key") REFERENCES "public"."cron_job"("key") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
ALTER TABLE "monitor_flip" ADD CONSTRAINT "monitor_flip_monitor_key_monitor_key_fk" FOREIGN KEY ("monitor_key") REFERENCES "public"."monitor"("key") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
ALTER TABLE "monitor_ping" ADD CONSTRAINT "monitor_ping_monitor_key_monitor_key_fk" FOREIGN KEY ("monitor_key") REFERENCES "public"."monitor"("key") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
ALTER TABLE "notification" ADD CONSTRAINT "notification_channel_id_notification_channel_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."notification_channel"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_window" ADD CONSTRAINT "notification_window_channel_id_notification_channel_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."notification_channel"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "monitor_token_uq" ON "monitor" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "monitor_down_at_idx" ON "monitor" USING btree ("down_at") WHERE "monitor"."status" = 'up';--> statement-breakpoint
CREATE INDEX "monitor_flip_history_idx" ON "monitor_flip" USING btree ("monitor_key","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "monitor_flip_pending_idx" ON "monitor_flip" USING btree ("id") WHERE not "monitor_flip"."alerted";--> statement-breakpoint
CREATE INDEX "monitor_ping_history_idx" ON "monitor_ping" USING btree ("monitor_key","id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "notification_event_channel_uq" ON "notification" USING btree ("dedupe_key","channel_id");--> statement-breakpoint
CREATE INDEX "notification_due_idx" ON "notification" USING btree ("next_attempt_at") WHERE "notification"."status" in ('pending', 'sending');--> statement-breakpoint
CREATE INDEX "notification_failed_idx" ON "notification" USING btree ("last_attempt_at") WHERE "notification"."status" = 'failed';--> statement-breakpoint
CREATE INDEX "notification_held_idx" ON "notification" USING btree ("subject","channel_id") WHERE "notification"."status" = 'held' and "notification"."held_by" is null;--> statement-breakpoint
CREATE INDEX "notification_window_held_idx" ON "notification_window" USING btree ("ends_at") WHERE "notification_window"."held" <> '{}'::jsonb;--> statement-breakpoint
CREATE INDEX "cron_job_max_duration_idx" ON "cron_job" USING btree ("key") WHERE "cron_job"."alerts" ? 'maxDurationMs';--> statement-breakpoint
CREATE INDEX "cron_job_no_success_idx" ON "cron_job" USING btree ("key") WHERE "cron_job"."alerts" ? 'noSuccessWithinMs';--> statement-breakpoint
ALTER TABLE "cron_job" ADD CONSTRAINT "cron_job_auto_disable_after_check" CHECK ("cron_job"."auto_disable_after" is null or "cron_job"."auto_disable_after" > 0);--> statement-breakpoint
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
--> statement-breakpoint
-- Live updates of /admin/alerts (src/lib/server/admin/live.ts): a notification raised, claimed,
-- delivered or given up, or a channel changed, notifies `cronkit_live` once per transaction
-- (row triggers: a claim that finds nothing due notifies nothing; equal notifications of one
-- transaction are sent once).
CREATE TRIGGER "notification_live" AFTER INSERT OR UPDATE OR DELETE ON "notification"
	FOR EACH ROW EXECUTE FUNCTION "cronkit_notify_live"('alerts');
--> statement-breakpoint
CREATE TRIGGER "notification_channel_live" AFTER INSERT OR UPDATE OR DELETE ON "notification_channel"
	FOR EACH ROW EXECUTE FUNCTION "cronkit_notify_live"('alerts');
