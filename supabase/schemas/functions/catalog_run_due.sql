-- The live function catalog_run_due, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.catalog_run_due(p_daily_seconds integer, p_changes_seconds integer, p_overlap_seconds integer) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  with whole as (
    select max(r.finished_at) as finished from public.catalog_runs r where r.complete and r.trigger <> 'changes'
  ), newest as (
    select max(r.started_at) as started,
           max(r.started_at) filter (where r.finished_at is not null and r.outcome ->> 'error' is null) as done
    from public.catalog_runs r
  )
  select case
    when exists (select 1 from public.catalog_runs r
                 where r.started_at > now() - interval '10 minutes'
                   and (r.finished_at is null or r.outcome ->> 'error' is not null)) then null
    when whole.finished is null then jsonb_build_object('trigger', 'first')
    when whole.finished < now() - make_interval(secs => p_daily_seconds) then jsonb_build_object('trigger', 'nightly')
    when newest.started < now() - make_interval(secs => p_changes_seconds) then
      jsonb_build_object('trigger', 'changes', 'since', newest.done - make_interval(secs => p_overlap_seconds))
  end
  from whole, newest
$$;

REVOKE ALL ON FUNCTION public.catalog_run_due(p_daily_seconds integer, p_changes_seconds integer, p_overlap_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.catalog_run_due(p_daily_seconds integer, p_changes_seconds integer, p_overlap_seconds integer) TO service_role;
