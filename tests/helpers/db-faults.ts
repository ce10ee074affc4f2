/**
 * Faults injected inside PostgreSQL itself: a trigger makes chosen statements fail, as a real
 * failed statement would (the whole statement rolls back). Counted faults use a sequence, which
 * no rollback undoes, so "fail the next N claims" means exactly N failed statements.
 */
import type { Sql } from 'postgres';

export type FaultKind =
	/** Inserting a `schedule` run (claiming ticks). */
	| 'claim'
	/** A `running` run reaching a final status (completion, reaping). */
	| 'settle'
	/** Writing a job's latest state (`last_status`, `consecutive_failures`). */
	| 'job_state';

export async function installFaults(sql: Sql): Promise<void> {
	await sql.unsafe(`
		create table if not exists test_fault (kind text primary key, fail_until timestamptz, budget_seq text);
		create or replace function test_fault_check(k text) returns void language plpgsql as $$
		declare f test_fault;
		begin
			select * into f from test_fault where kind = k;
			if not found then return; end if;
			if f.fail_until is not null and now() < f.fail_until then
				raise exception 'injected fault: %', k;
			end if;
			if f.budget_seq is not null and nextval(f.budget_seq) <= 0 then
				raise exception 'injected fault: %', k;
			end if;
		end $$;
		create or replace function test_fault_claim() returns trigger language plpgsql as $$
		begin
			if new.trigger = 'schedule' and new.status = 'running' then perform test_fault_check('claim'); end if;
			return new;
		end $$;
		create or replace function test_fault_settle() returns trigger language plpgsql as $$
		begin
			if old.status = 'running' and new.status <> 'running' then perform test_fault_check('settle'); end if;
			return new;
		end $$;
		create or replace function test_fault_job_state() returns trigger language plpgsql as $$
		begin
			if new.last_status is distinct from old.last_status or new.consecutive_failures is distinct from old.consecutive_failures
				or new.last_run_at is distinct from old.last_run_at then
				perform test_fault_check('job_state');
			end if;
			return new;
		end $$;
		drop trigger if exists test_fault_job_state on cron_job;
		create trigger test_fault_job_state before update on cron_job for each row execute function test_fault_job_state();
		drop trigger if exists test_fault_claim on cron_job_execution;
		create trigger test_fault_claim before insert on cron_job_execution for each row execute function test_fault_claim();
		drop trigger if exists test_fault_settle on cron_job_execution;
		create trigger test_fault_settle before update on cron_job_execution for each row execute function test_fault_settle();
	`);
}

/** The next `n` statements of this kind fail. */
export async function failNext(sql: Sql, kind: FaultKind, n: number): Promise<void> {
	const seq = `test_fault_${kind}_seq`;
	await sql.unsafe(`drop sequence if exists ${seq}; create sequence ${seq} minvalue ${-n + 1} start with ${-n + 1}`);
	await sql`insert into test_fault (kind, budget_seq) values (${kind}, ${seq})
		on conflict (kind) do update set budget_seq = excluded.budget_seq, fail_until = null`;
}

/** Every statement of this kind fails for the next `ms`. */
export async function failFor(sql: Sql, kind: FaultKind, ms: number): Promise<void> {
	await sql`insert into test_fault (kind, fail_until) values (${kind}, now() + make_interval(secs => ${ms / 1000}))
		on conflict (kind) do update set fail_until = excluded.fail_until, budget_seq = null`;
}
