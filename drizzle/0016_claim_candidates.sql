-- The queue's candidates for a claim (src/lib/server/cron/ledger/queue.ts, claimCtes): up to
-- `lim` due queued runs in claim order (run_at, id), skipping runs other claims hold and runs of
-- `forbid` jobs whose slot is taken, locked FOR UPDATE for the calling statement's transaction.
--
-- A function so that its plan is made once per connection, not at every claim: in the claim
-- statement the limit is a parameter, and a generic plan, blind to it, sorted every queued run,
-- so each call was planned afresh (1–3 ms, a third of the statement's time). Here the plan is
-- generic (plan_cache_mode) and, with sorts and hash joins priced out, walks
-- cron_job_execution_queued_idx in claim order and stops at the limit, whatever the statistics
-- said when it was made.
CREATE FUNCTION "cronkit_claim_candidates"("lim" bigint)
	RETURNS TABLE ("cand_id" bigint, "cand_job_id" text, "cand_run_at" timestamptz, "cand_overlap" text)
	LANGUAGE plpgsql VOLATILE
	SET plan_cache_mode = force_generic_plan
	SET enable_sort = off
	SET enable_hashjoin = off
	SET enable_seqscan = off
	ROWS 50
AS $$
BEGIN
	RETURN QUERY
	SELECT e.id, e.job_id, e.run_at, j.overlap
	FROM cron_job_execution e JOIN cron_job j ON j.key = e.job_id
	WHERE e.status = 'queued' AND e.run_at <= now()
		AND NOT (j.overlap = 'forbid' AND EXISTS (
			SELECT 1 FROM cron_job_execution x WHERE x.job_id = e.job_id AND x.exclusive))
	ORDER BY e.run_at, e.id
	LIMIT lim
	FOR UPDATE OF e SKIP LOCKED;
END
$$;
