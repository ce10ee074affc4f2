ALTER TABLE "cron_job_execution" ADD COLUMN "output_bytes" bigint;--> statement-breakpoint
ALTER TABLE "cron_job_execution" ADD COLUMN "output_tail_at" bigint;--> statement-breakpoint
ALTER TABLE "cron_job_execution" ADD COLUMN "exit_code" integer;--> statement-breakpoint
ALTER TABLE "cron_job_execution" ADD COLUMN "signal" text;--> statement-breakpoint
ALTER TABLE "cron_job_execution" ADD COLUMN "cpu_ms" integer;--> statement-breakpoint
ALTER TABLE "cron_job_execution" ADD COLUMN "max_rss_kb" integer;