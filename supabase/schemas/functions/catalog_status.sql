-- The live function catalog_status, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.catalog_status() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_build_object(
    'products', (select count(*) from public.products p where p.catalog_run is not null),
    'hidden', (select count(*) from public.products p where not p.active),
    'newest', (select jsonb_build_object('trigger', r.trigger, 'started_at', r.started_at,
                                         'finished_at', r.finished_at, 'complete', r.complete, 'outcome', r.outcome)
               from public.catalog_runs r order by r.started_at desc limit 1))
$$;

REVOKE ALL ON FUNCTION public.catalog_status() FROM PUBLIC;
GRANT ALL ON FUNCTION public.catalog_status() TO service_role;
