-- The live function start_reconciliation, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.start_reconciliation(p_trigger text, p_day date, p_from date, p_to date) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_id uuid;
begin
  if p_trigger = 'scheduled' then
    -- Two cron invocations at once: the second waits here, then sees the first's row.
    perform pg_advisory_xact_lock(hashtext('reconcile:' || p_day));
    if exists (select 1 from public.reconciliations r
               where r.trigger = 'scheduled' and r.day = p_day
                 and ((r.finished_at is not null and r.error is null)
                      or (r.finished_at is null and r.started_at > now() - interval '10 minutes')
                      or (r.error is not null and r.finished_at > now() - interval '10 minutes'))) then
      return null;
    end if;
  end if;
  insert into public.reconciliations (trigger, day, period_from, period_to)
  values (p_trigger, p_day, p_from, p_to)
  returning id into v_id;
  return v_id;
end
$$;

REVOKE ALL ON FUNCTION public.start_reconciliation(p_trigger text, p_day date, p_from date, p_to date) FROM PUBLIC;
GRANT ALL ON FUNCTION public.start_reconciliation(p_trigger text, p_day date, p_from date, p_to date) TO service_role;
