CREATE TABLE "cron_instance" (
	"id" text PRIMARY KEY NOT NULL,
	"role" text NOT NULL,
	"version" text NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"clock_offset_ms" integer,
	"stopped_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "cron_instance_seen_idx" ON "cron_instance" USING btree ("last_seen_at");