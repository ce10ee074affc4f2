-- Live updates of /admin/sessions and /admin/email (server-sent events, src/lib/server/admin/live.ts):
-- every statement that changes which device sessions are open, the access keys, or the outbox
-- notifies `cronkit_live` with the page it concerns. A heartbeat sets only last_heartbeat_at and
-- notifies nothing (its hot path stays one UPDATE); the live hub watches heartbeat times itself
-- while a sessions page is open.
CREATE FUNCTION "cronkit_notify_live"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('cronkit_live', TG_ARGV[0]);
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "device_session_live" AFTER INSERT OR DELETE OR UPDATE OF "ended_at" ON "device_session"
	FOR EACH STATEMENT EXECUTE FUNCTION "cronkit_notify_live"('sessions');
--> statement-breakpoint
CREATE TRIGGER "access_key_live" AFTER INSERT OR UPDATE OR DELETE ON "access_key"
	FOR EACH STATEMENT EXECUTE FUNCTION "cronkit_notify_live"('sessions');
--> statement-breakpoint
CREATE TRIGGER "email_outbox_live" AFTER INSERT OR UPDATE OR DELETE ON "email_outbox"
	FOR EACH STATEMENT EXECUTE FUNCTION "cronkit_notify_live"('email');
