-- The live function catalog_run_due, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.catalog_run_due(p_daily_seconds integer) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select case
    when exists (select 1 from public.catalog_runs r where r.started_at > now() - interval '10 minutes') then null
    when not exists (select 1 from public.catalog_runs r where r.complete) then 'first'
    when (select max(r.finished_at) from public.catalog_runs r where r.complete)
         < now() - make_interval(secs => p_daily_seconds) then 'nightly'
  end
$$;

REVOKE ALL ON FUNCTION public.catalog_run_due(p_daily_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.catalog_run_due(p_daily_seconds integer) TO service_role;
