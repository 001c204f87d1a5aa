-- The live function start_catalog_run, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.start_catalog_run(p_trigger text) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_id uuid;
begin
  perform pg_advisory_xact_lock(hashtext('catalog_runs'));
  if exists (select 1 from public.catalog_runs r
             where r.finished_at is null and r.started_at > now() - interval '10 minutes') then
    return null;
  end if;
  insert into public.catalog_runs (trigger) values (p_trigger) returning id into v_id;
  return v_id;
end
$$;

REVOKE ALL ON FUNCTION public.start_catalog_run(p_trigger text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.start_catalog_run(p_trigger text) TO service_role;
