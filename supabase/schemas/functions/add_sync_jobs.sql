-- The live function add_sync_jobs, as supabase/migrations leave it (written by scripts/schemas.py write;
-- change it with a new migration, then write this again).

CREATE FUNCTION public.add_sync_jobs(p_jobs jsonb) RETURNS SETOF uuid
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  insert into public.sync_jobs (flow, idempotency_key, payload)
  select j ->> 'flow', j ->> 'key', coalesce(j -> 'payload', '{}'::jsonb)
  from jsonb_array_elements(p_jobs) as j
  on conflict (idempotency_key) do nothing
  returning id
$$;

REVOKE ALL ON FUNCTION public.add_sync_jobs(p_jobs jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.add_sync_jobs(p_jobs jsonb) TO service_role;
