-- The live function sync_jobs_correlation, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.sync_jobs_correlation() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  if new.correlation_id is null then
    new.correlation_id := left(nullif(nullif(current_setting('request.headers', true), '')::jsonb
                                      ->> 'x-correlation-id', ''), 128);
  end if;
  return new;
end
$$;

REVOKE ALL ON FUNCTION public.sync_jobs_correlation() FROM PUBLIC;
GRANT ALL ON FUNCTION public.sync_jobs_correlation() TO service_role;
